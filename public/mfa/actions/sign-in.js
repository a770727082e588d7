// Signing in with an API token (and a passcode when MFA is on), and signing out. The sign-in page flow
// (actions/oidc-sign-in.js) ends in beginSession too.
import { ApiError, AUTHORIZE_URL, callApi } from '../lib/api.js';
import { announce, inputById } from '../lib/dom.js';
import { compactCode } from '../lib/format.js';
import { forgetAccessToken, keepAccessToken } from '../lib/session.js';
import { resetState, state, update } from '../lib/state.js';
import { ValidationError } from '../lib/validation.js';
import { readOrgFromToken } from './org.js';
import { loadStatus, showView } from './status.js';

export async function signIn() {
  const tokenField = inputById('api-token');
  const passcodeField = inputById('signin-passcode');
  const apiToken = tokenField.value.trim();
  const passcode = compactCode(passcodeField.value);
  // Clear the secrets from the page straight away, whatever happens next.
  tokenField.value = '';
  passcodeField.value = '';
  if (!apiToken) throw new ValidationError('Paste an API token to sign in.', tokenField);

  /** @type {Record<string, string>} */
  const fields = { api_token: apiToken };
  if (passcode) fields.passcode = passcode;
  const grant = await callApi('POST', AUTHORIZE_URL, { form: fields, auth: false });
  await beginSession(grant);
}

/**
 * Keeps the access token of a grant (API-token exchange, passkey at the exchange, or sign-in code exchange)
 * and opens the dashboard.
 * @param {any} grant
 */
export async function beginSession(grant) {
  if (!grant || typeof grant.access_token !== 'string' || !grant.access_token) {
    throw new ApiError('The server did not return an access token.');
  }
  keepAccessToken(grant.access_token);
  const endsAt = typeof grant.expires_in === 'number' ? Date.now() + grant.expires_in * 1000 : null;

  try {
    await loadStatus();
  } catch (error) {
    forgetSession();
    // We are on the sign-in page already: no "go to sign-in" offer needed.
    if (error instanceof ApiError) error.authenticated = false;
    throw error;
  }
  const username = state.status?.username ?? '';
  readOrgFromToken();
  update({ session: { username, endsAt } });
  showView('dashboard');
  announce(username ? `Signed in as ${username}.` : 'Signed in.');
}

export function signOut() {
  forgetSession();
  showView('signin');
  update({ notice: 'You are signed out.' });
}

/** The "go to sign-in page" offer under an error that ended the session. */
export function returnToSignIn() {
  forgetSession();
  showView('signin');
}

/** Drops the token, everything learnt with it and anything typed into a form. */
function forgetSession() {
  forgetAccessToken();
  resetState();
  for (const form of document.querySelectorAll('form')) /** @type {HTMLFormElement} */ (form).reset();
}
