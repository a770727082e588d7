// Signing in with an API token and a passkey as the second factor: the exchange's challenge, the browser's
// assertion, then the exchange with it in the form field `webauthn`.
import { AUTHORIZE_URL, callApi } from '../lib/api.js';
import { inputById } from '../lib/dom.js';
import { ValidationError } from '../lib/validation.js';
import { getAssertion } from '../lib/webauthn.js';
import { beginSession } from './sign-in.js';

const CHALLENGE_URL = '/csp/gateway/am/api/auth/webauthn/challenge';

export async function signInWithPasskey() {
  const tokenField = inputById('api-token');
  const apiToken = tokenField.value.trim();
  if (!apiToken) throw new ValidationError('Paste an API token, then use your passkey.', tokenField);
  const options = await callApi('POST', CHALLENGE_URL, { form: { api_token: apiToken }, auth: false });
  const assertion = await getAssertion(options);
  tokenField.value = '';
  inputById('signin-passcode').value = '';
  const grant = await callApi('POST', AUTHORIZE_URL, { form: { api_token: apiToken, webauthn: JSON.stringify(assertion) }, auth: false });
  await beginSession(grant);
}
