// Recovery codes: shown once after activation or regeneration, downloaded or copied, then dropped.
import { ApiError } from '../lib/api.js';
import { announce } from '../lib/dom.js';
import { state, update } from '../lib/state.js';
import { backToDashboard, showView } from './status.js';

/** @param {unknown} codes the server's recoveryCodes */
export function showRecoveryCodes(codes) {
  if (!Array.isArray(codes) || codes.length === 0) throw new ApiError('The server did not return recovery codes.');
  update({ recoveryCodes: codes.map(String) });
  showView('recovery');
}

export function downloadCodes() {
  const codes = state.recoveryCodes;
  if (!codes) return;
  const username = state.status?.username ?? '';
  const lines = ['Principal MFA recovery codes'];
  if (username) lines.push(`Account: ${username}`);
  lines.push(`Created: ${new Date().toISOString()}`, '', 'Each code can be used once to sign in if you lose your authenticator device.', '', ...codes, '');
  const blob = new Blob([lines.join('\r\n')], { type: 'text/plain;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = 'principal-mfa-recovery-codes.txt';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  announce('Recovery codes downloaded.');
}

export async function confirmCodesSaved() {
  update({ recoveryCodes: null, notice: 'Recovery codes hidden. Keep them somewhere safe.' });
  await backToDashboard();
}
