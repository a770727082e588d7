// Signing in through the sign-in pages: this page is the public OpenID Connect client
// "principal-mfa-self-service" (authorization code + PKCE S256). Only the PKCE verifier and the state
// wait in sessionStorage during the round trip (this tab only, removed on return); the access token
// stays in memory, as with an API token.
import { ApiError, callApi } from '../lib/api.js';
import { beginSession } from './sign-in.js';

const CLIENT_ID = 'principal-mfa-self-service';
const AUTHORIZATION_URL = '/csp/gateway/discovery';
const TOKEN_URL = '/csp/gateway/am/api/auth/token';
const PENDING_KEY = 'principal-mfa-sign-in';

/** The page's own address without query: the redirect URI registered for the built-in client. */
const redirectUri = () => `${location.origin}${location.pathname}`;

function randomText(bytes = 32) {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return base64url(data);
}

/** @param {Uint8Array} data */
function base64url(data) {
  let text = '';
  for (const byte of data) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Sends the browser to the sign-in pages. */
export async function startPageSignIn() {
  const verifier = randomText();
  const state = randomText(16);
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    scope: 'openid',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  });
  location.assign(`${AUTHORIZATION_URL}?${query}`);
}

/** On load: the answer of the sign-in pages, if this is one. Returns whether there was one. */
export async function finishPageSignIn() {
  const answer = new URLSearchParams(location.search);
  if (!answer.has('code') && !answer.has('error')) return false;
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  // The code must not stay in the address bar or the history.
  history.replaceState(null, '', redirectUri());
  const { verifier, state } = pending ? JSON.parse(pending) : {};
  if (!verifier || answer.get('state') !== state) throw new ApiError('This sign-in was not started here; sign in again.');
  if (answer.has('error')) throw new ApiError(answer.get('error_description') || 'The sign-in did not complete.');
  const grant = await callApi('POST', TOKEN_URL, {
    form: { grant_type: 'authorization_code', code: answer.get('code') ?? '', redirect_uri: redirectUri(), code_verifier: verifier, client_id: CLIENT_ID },
    auth: false,
  });
  await beginSession(grant);
  return true;
}
