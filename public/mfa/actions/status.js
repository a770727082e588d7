// Moving between views, and loading the MFA status every view starts from.
import { callApi, MFA_URL } from '../lib/api.js';
import { focusLater } from '../lib/dom.js';
import { update } from '../lib/state.js';

/**
 * Shows one view and moves focus to a heading in it (by default the view's own heading).
 * @param {import('../lib/state.js').ViewName} view @param {string} [focusId]
 */
export function showView(view, focusId) {
  update({ view });
  focusLater(focusId ?? `${view}-heading`);
}

/** Fetches the status and the authenticators; showing them also closes the remove confirmation, as any change of status does. */
export async function loadStatus() {
  const [status, list] = await Promise.all([callApi('GET', `${MFA_URL}/status`), callApi('GET', `${MFA_URL}/authenticators`)]);
  update({ status, authenticators: Array.isArray(list?.authenticators) ? list.authenticators : [], removeConfirmOpen: false });
}

/** Shows the dashboard straight away, then refreshes the status shown on it. */
export async function backToDashboard() {
  showView('dashboard');
  await loadStatus();
}
