// Shared steps for the passkey tests: a server with a known relying party, registration and use of a software key.
import assert from 'node:assert/strict';
import { MFA, postJson } from '../mfa/support.js';
import { checkFetchResponse } from '../support/openapi-check.js';
import type { TestServer } from '../support/server.js';
import { type AuthenticatorOptions, SoftwareAuthenticator, type Spoil } from '../support/software-authenticator.js';

export const RP_ID = 'mfa.example.test';
export const ORIGIN = 'https://mfa.example.test';
export const RP_CONFIG = { webauthnRpId: RP_ID, webauthnOrigin: ORIGIN };
export const AUTHENTICATORS = `${MFA}/authenticators`;
export const CHALLENGE_PATH = '/csp/gateway/am/api/auth/webauthn/challenge';
export const EXCHANGE_PATH = '/csp/gateway/am/api/auth/api-tokens/authorize';

export const newAuthenticator = (options: Partial<AuthenticatorOptions> = {}) => new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN, ...options });

export async function registrationOptions(server: TestServer, token: string, name = 'My key') {
  const res = await postJson(server, `${AUTHENTICATORS}/webauthn/registration-options`, token, { name });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as { challenge: string; [k: string]: unknown };
}

/** Options, create() with the software key (spoiled as asked), then the registration: the raw answer. */
export async function tryRegister(server: TestServer, token: string, key: SoftwareAuthenticator, spoil: Spoil = {}, name = 'My key') {
  const options = await registrationOptions(server, token, name);
  return postJson(server, `${AUTHENTICATORS}/webauthn`, token, key.create(options, spoil));
}

export async function register(server: TestServer, token: string, key: SoftwareAuthenticator, name = 'My key') {
  const res = await tryRegister(server, token, key, {}, name);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; name: string; recoveryCodes?: string[]; backedUp: boolean };
}

/** The exchange's passkey challenge for an API token. */
export async function exchangeChallenge(server: TestServer, apiToken: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.baseUrl}${CHALLENGE_PATH}`, { method: 'POST', body: new URLSearchParams({ api_token: apiToken }) });
  await checkFetchResponse(server.app, 'POST', CHALLENGE_PATH, res);
  return { status: res.status, body: await res.json() };
}

/** The API-token exchange with a passkey assertion in the form field `webauthn`. */
export async function exchangeWithPasskey(server: TestServer, apiToken: string, assertion: unknown, extra: Record<string, string> = {}) {
  const form = new URLSearchParams({ api_token: apiToken, webauthn: typeof assertion === 'string' ? assertion : JSON.stringify(assertion), ...extra });
  const res = await fetch(`${server.baseUrl}${EXCHANGE_PATH}`, { method: 'POST', body: form });
  await checkFetchResponse(server.app, 'POST', EXCHANGE_PATH, res);
  return { status: res.status, body: await res.json() };
}

/** Challenge, get() with the key (spoiled as asked), exchange. */
export async function signInWithPasskey(server: TestServer, apiToken: string, key: SoftwareAuthenticator, spoil: Spoil = {}) {
  const challenge = await exchangeChallenge(server, apiToken);
  assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
  return exchangeWithPasskey(server, apiToken, key.get(challenge.body, spoil));
}

/** The principal's audit actions, oldest first, read from the store (the sign-ins of test setup without MFA left out). */
export async function auditActions(server: TestServer, userId: string): Promise<string[]> {
  const { kyselyOf } = await import('../../src/storage/internal.js');
  const rows = await kyselyOf(server.services.store).selectFrom('audit_events').select(['action']).where('user_id', '=', userId).orderBy('seq').execute();
  return rows.map((r) => r.action).filter((action) => action !== 'AUTHENTICATION_WITHOUT_MFA');
}
