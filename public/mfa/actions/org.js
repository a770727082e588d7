// The Organization tab (org owners and admins): coverage numbers, the principal list with filters, unlock, reset.
import { callApi } from '../lib/api.js';
import { byId, inputById } from '../lib/dom.js';
import { orgClaims } from '../lib/claims.js';
import { state, update } from '../lib/state.js';
import { ValidationError } from '../lib/validation.js';
import { showView } from './status.js';

const ORG_PAGE_LIMIT = 50;

function orgBase() {
  return `/csp/gateway/am/api/orgs/${encodeURIComponent(state.org?.orgId ?? '')}/mfa`;
}

/** After sign-in: what the token says about the organization (the banner and the tab read it). */
export function readOrgFromToken() {
  update({ org: { ...orgClaims(), totals: null, page: null } });
}

/** @param {string | null} pageStart */
export async function loadOrgPrincipals(pageStart = null) {
  const params = new URLSearchParams({ pageLimit: String(ORG_PAGE_LIMIT) });
  const mfa = /** @type {HTMLSelectElement} */ (byId('org-filter')).value;
  const search = inputById('org-search').value.trim();
  if (mfa) params.set('mfa', mfa);
  if (search) params.set('search', search);
  if (pageStart) params.set('pageStart', pageStart);
  const [totals, page] = await Promise.all([callApi('GET', `${orgBase()}/totals`), callApi('GET', `${orgBase()}/principals?${params}`)]);
  if (state.org) update({ org: { ...state.org, totals, page } });
}

export async function openOrg() {
  await loadOrgPrincipals(null);
  showView('org');
}

export async function nextOrgPage() {
  const next = state.org?.page?.nextPageStart;
  if (next) await loadOrgPrincipals(next);
}

function targetUsername() {
  const field = inputById('org-target');
  const username = field.value.trim();
  if (!username) throw new ValidationError('Enter the username of the principal.', field);
  return username;
}

export async function unlockPrincipal() {
  const username = targetUsername();
  const answer = await callApi('POST', `${orgBase()}/principals/${encodeURIComponent(username)}/unlock`);
  update({ notice: answer?.unlocked ? `${username} is unlocked; their device and recovery codes are kept.` : `${username} was not locked.` });
  await loadOrgPrincipals(null);
}

export async function resetPrincipal() {
  const username = targetUsername();
  const reasonField = inputById('org-reason');
  const reason = reasonField.value.trim();
  if (!reason) throw new ValidationError('Say why the MFA device is being reset (it is kept in the audit log).', reasonField);
  const answer = await callApi('POST', `${orgBase()}/principals/${encodeURIComponent(username)}/reset`, { json: { reason } });
  reasonField.value = '';
  update({ notice: answer?.removed ? `${username}'s MFA device and recovery codes were removed; they can enrol again.` : `${username} had no MFA device.` });
  await loadOrgPrincipals(null);
}
