// Shared steps for the MFA behaviour tests: a user with an enrolled device, codes from its secret.
import assert from 'node:assert/strict';
import { base32Decode, timeStep, totpAt } from '../../src/mfa/totp.js';
import type { TestClock, TestServer } from '../support/server.js';

export const MFA = '/csp/gateway/iam/vmwid/api/principal/mfa';
export const PERIOD_MS = 30_000;

/** A clock at the start of a fresh time step, so a test controls exactly which step is current. */
export function stepAlignedMs(): number {
  return (timeStep(Date.now()) + 1) * PERIOD_MS + 1_000;
}

/** The code an authenticator shows for `secret` at the clock's current step (offset in steps). */
export function codeFor(secret: string, clock: TestClock, offsetSteps = 0): string {
  return totpAt(base32Decode(secret), timeStep(clock.now()) + offsetSteps);
}

export interface Enrolled {
  accessToken: string;
  apiToken: string;
  password: string;
  username: string;
  userId: string;
  secret: string;
  recoveryCodes: string[];
}

export async function postJson(
  server: TestServer,
  path: string,
  token: string,
  body: unknown,
  method = 'POST',
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await server.call(path, { method, token, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Registers a device and activates it with the current code, then moves the clock to the next step. */
export async function enrol(server: TestServer, clock: TestClock, deviceName = 'phone'): Promise<Enrolled> {
  const { accessToken, apiToken, password, user } = await server.accessTokenFor();
  const registered = await postJson(server, `${MFA}/device`, accessToken, { deviceName });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const secret = registered.body.secret as string;
  const activated = await postJson(server, `${MFA}/device/activate`, accessToken, { passcode: codeFor(secret, clock) });
  assert.equal(activated.status, 200, JSON.stringify(activated.body));
  clock.advance(PERIOD_MS);
  return { accessToken, apiToken, password, username: user.username, userId: user.id, secret, recoveryCodes: activated.body.recoveryCodes };
}

/** The API-token exchange with the raw response (headers included), checked against the OpenAPI document. */
export async function exchangeRaw(server: TestServer, apiToken: string, passcode?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const form = new URLSearchParams({ api_token: apiToken });
  if (passcode !== undefined) form.set('passcode', passcode);
  const path = '/csp/gateway/am/api/auth/api-tokens/authorize';
  const res = await fetch(`${server.baseUrl}${path}`, { method: 'POST', body: form });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** The claims of a JWT, unverified (the server under test signed it). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** A six-digit code that is not valid at the clock's step or either neighbour. */
export function wrongCodeFor(secret: string, clock: TestClock): string {
  const valid = new Set([-1, 0, 1].map((o) => codeFor(secret, clock, o)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

/**
 * A step-up access token (RFC 9470): the API-token exchange with the current passcode, so the token
 * carries `amr: ["otp"]` and a fresh `auth_time`. Moves the clock to the next step, as the code is spent.
 */
export async function stepUpToken(server: TestServer, clock: TestClock, e: Pick<Enrolled, 'apiToken' | 'secret'>): Promise<string> {
  const res = await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  clock.advance(PERIOD_MS);
  return res.body.access_token as string;
}
