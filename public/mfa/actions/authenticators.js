// The principal's authenticators: list them, register a passkey, rename one, remove one (a passkey confirms it).
import { callApi, MFA_URL } from '../lib/api.js';
import { announce, inputById } from '../lib/dom.js';
import { update } from '../lib/state.js';
import { ValidationError } from '../lib/validation.js';
import { createCredential, getAssertion } from '../lib/webauthn.js';
import { showRecoveryCodes } from './recovery.js';
import { loadStatus } from './status.js';

const AUTHENTICATORS_URL = `${MFA_URL}/authenticators`;

export async function registerPasskey() {
  const field = inputById('passkey-name');
  const name = field.value.trim();
  if (!name) throw new ValidationError('Give the passkey a name, such as "Laptop" or "Security key".', field);
  const options = await callApi('POST', `${AUTHENTICATORS_URL}/webauthn/registration-options`, { json: { name } });
  const credential = await createCredential(options);
  const created = await callApi('POST', `${AUTHENTICATORS_URL}/webauthn`, { json: credential });
  field.value = '';
  await loadStatus();
  if (created?.recoveryCodes) return showRecoveryCodes(created.recoveryCodes);
  update({ notice: `Passkey "${created?.name ?? name}" registered.` });
}

/** @param {string} id @param {HTMLInputElement} field */
export async function renameAuthenticator(id, field) {
  const name = field.value.trim();
  if (!name) throw new ValidationError('Type the new name.', field);
  await callApi('PATCH', `${AUTHENTICATORS_URL}/${encodeURIComponent(id)}`, { json: { name } });
  await loadStatus();
  update({ notice: `Renamed to "${name}".` });
}

/** Step-up with a passkey: the browser signs a fresh challenge, which confirms the removal. @param {string} id */
export async function removePasskey(id) {
  const options = await callApi('POST', `${AUTHENTICATORS_URL}/webauthn/authentication-options`, { json: {} });
  const webauthn = await getAssertion(options);
  await callApi('DELETE', `${AUTHENTICATORS_URL}/${encodeURIComponent(id)}`, { json: { webauthn } });
  await loadStatus();
  update({ notice: 'Passkey removed.' });
  announce('Passkey removed.');
}
