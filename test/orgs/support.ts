// Shared steps for the organization tests: org admins with a step-up token, policies, JSON calls.
import assert from 'node:assert/strict';
import { grantOrgRole } from '../../src/orgs/role-store.js';
import type { OrgRole } from '../../src/orgs/roles.js';
import type { User } from '../../src/principals/users.js';
import { codeFor, enrol, type Enrolled, exchangeRaw, PERIOD_MS } from '../mfa/support.js';
import type { TestClock, TestServer } from '../support/server.js';

export const ORGS = '/csp/gateway/am/api/orgs';

export const REQUIRE_EXCHANGE = {
  mfaRequired: { signIn: false, apiTokenExchange: true },
  gracePeriodDays: 0,
  exemptUsernames: [] as string[],
  allowedAuthenticators: ['totp', 'webauthn'],
};

export async function callJson(
  server: TestServer,
  path: string,
  token: string,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await server.call(path, { method, token, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export async function setRole(server: TestServer, user: User, role: OrgRole): Promise<void> {
  await grantOrgRole(server.services.store, server.services.clock, user, role, 'admin');
}

/** An enrolled principal of the default org given `role`, with a fresh step-up token that carries the role's perms. */
export async function orgAdmin(server: TestServer, clock: TestClock, role: OrgRole = 'org_admin'): Promise<Enrolled & { stepUp: string }> {
  const e = await enrol(server, clock);
  const user = await server.services.store.principals.findById(e.userId);
  assert.ok(user);
  await setRole(server, user, role);
  const res = await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  clock.advance(PERIOD_MS);
  return { ...e, stepUp: res.body.access_token };
}
