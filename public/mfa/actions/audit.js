// The audit log: the last N days, one page at a time.
import { AUDIT_PAGE_LIMIT, callApi, MFA_URL } from '../lib/api.js';
import { byId } from '../lib/dom.js';
import { update } from '../lib/state.js';
import { showView } from './status.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** @param {number} pageStart 1-based position of the first event to show */
export async function loadAudit(pageStart) {
  const days = Number(/** @type {HTMLSelectElement} */ (byId('audit-period')).value) || 30;
  const endDate = Date.now();
  const startDate = endDate - days * DAY_MS;
  const page = await callApi('POST', `${MFA_URL}/audit`, {
    json: { startDate, endDate, pageStart, pageLimit: AUDIT_PAGE_LIMIT },
  });
  update({ audit: { page: page ?? {}, pageStart } });
}

export async function openAudit() {
  await loadAudit(1);
  showView('audit');
}

/** Previous or next page: the pager button carries the pageStart it leads to. @param {string} buttonId */
export function loadAuditPageOf(buttonId) {
  return loadAudit(Number(byId(buttonId).dataset.target) || 1);
}
