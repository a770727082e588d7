// The policy banner on the dashboard, the Organization button, and the Organization tab itself.
import { byId, createElement, setText } from '../lib/dom.js';

/** @param {number} ms */
const dateTime = (ms) => new Date(ms).toLocaleString();

/** @param {any} p one OrgPrincipal */
function mfaState(p) {
  const state = p.turnedOn ? 'On' : p.pending ? 'Pending' : 'Off';
  return p.lockedUntil ? `${state}, locked until ${dateTime(p.lockedUntil)}` : state;
}

/** @param {import('../lib/state.js').State} state */
export function render(state) {
  const org = state.org;
  const activated = state.status?.activated === true;
  const banner = byId('policy-banner');
  banner.hidden = !org?.enrolmentDueAt || activated;
  if (org?.enrolmentDueAt && !activated)
    setText(
      byId('policy-banner-text'),
      `Your organization requires MFA. Set up an authenticator before ${dateTime(org.enrolmentDueAt)}, or signing in will be refused.`,
    );
  byId('panel-org').hidden = !org?.isOrgAdmin;
  if (!org || state.view !== 'org') return;

  setText(byId('org-name'), org.orgId);
  const t = org.totals;
  setText(
    byId('org-coverage'),
    t ? `${Math.round(t.coverageRatio * 100)}% of ${t.principals} principals have MFA on (${t.pending} pending, ${t.off} off, ${t.locked} locked).` : '',
  );
  const rows = byId('org-rows');
  rows.replaceChildren(
    ...(org.page?.results ?? []).map((/** @type {any} */ p) => {
      const tr = createElement('tr');
      tr.append(
        createElement('td', p.username),
        createElement('td', mfaState(p)),
        createElement('td', String(p.recoveryCodesLeft)),
        createElement('td', p.enrolmentDueAt ? dateTime(p.enrolmentDueAt) : ''),
        createElement('td', p.role),
      );
      return tr;
    }),
  );
  const next = /** @type {HTMLButtonElement} */ (byId('org-next'));
  next.disabled = !org.page?.nextPageStart;
}
