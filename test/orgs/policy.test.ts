// The organization MFA policy at the API-token exchange and when a principal would drop MFA, over a real socket.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DAY_MS } from '../../src/orgs/policy.js';
import { setOrgPolicy } from '../../src/orgs/policy-store.js';
import { claimsOf, codeFor, enrol, exchangeRaw, MFA, PERIOD_MS, postJson, stepAlignedMs, stepUpToken } from '../mfa/support.js';
import { expectCspError, serviceAccountToken, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { REQUIRE_EXCHANGE } from './support.js';

describe('the organization MFA policy', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  const setPolicy = (orgId: string, policy: object) => setOrgPolicy(server.services.store, clock, orgId, policy as never, 'admin');

  it('lets a principal without MFA exchange inside the grace period with the due date as a claim, and refuses from the due moment on', async () => {
    const org = 'grace-org';
    const { apiToken } = await server.createUser('grace-user', { orgId: org });
    const start = clock.now();
    await setPolicy(org, { ...REQUIRE_EXCHANGE, gracePeriodDays: 2 });
    const dueMs = start + 2 * DAY_MS;

    clock.ms = dueMs - 1;
    const inside = await exchangeRaw(server, apiToken);
    assert.equal(inside.status, 200, JSON.stringify(inside.body));
    assert.equal(claimsOf(inside.body.access_token).mfa_enrollment_due, Math.floor(dueMs / 1000));

    clock.ms = dueMs;
    const outside = await exchangeRaw(server, apiToken);
    assert.equal(outside.status, 403);
    const error = expectCspError(outside.body, 403);
    assert.equal(error.errorCode, 'mfa_enrollment_required');
    assert.match(error.message, /enrol/);
    clock.ms = stepAlignedMs() + 10 * DAY_MS;
  });

  it('gives a principal created after the policy change a grace period of its own', async () => {
    const org = 'newcomer-org';
    await setPolicy(org, { ...REQUIRE_EXCHANGE, gracePeriodDays: 1 });
    clock.advance(5 * DAY_MS);
    const { apiToken } = await server.createUser('newcomer', { orgId: org });
    const created = clock.now();
    clock.advance(DAY_MS - 1);
    const res = await exchangeRaw(server, apiToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(claimsOf(res.body.access_token).mfa_enrollment_due, Math.floor((created + DAY_MS) / 1000));
    clock.advance(1);
    assert.equal((await exchangeRaw(server, apiToken)).body.errorCode, 'mfa_enrollment_required');
  });

  it('does not restart the grace period when an unrelated part of the policy changes', async () => {
    const org = 'keep-clock-org';
    const { apiToken } = await server.createUser('keep-clock', { orgId: org });
    await setPolicy(org, { ...REQUIRE_EXCHANGE, gracePeriodDays: 1 });
    clock.advance(DAY_MS);
    await setPolicy(org, { ...REQUIRE_EXCHANGE, gracePeriodDays: 1, exemptUsernames: ['someone-else'] });
    assert.equal((await exchangeRaw(server, apiToken)).body.errorCode, 'mfa_enrollment_required');
  });

  it('never blocks an exempt principal, nor one whose org requires MFA only at sign-in', async () => {
    const { apiToken } = await server.createUser('exempt-user', { orgId: 'exempt-org' });
    await setPolicy('exempt-org', { ...REQUIRE_EXCHANGE, exemptUsernames: ['exempt-user'] });
    const exempt = await exchangeRaw(server, apiToken);
    assert.equal(exempt.status, 200, JSON.stringify(exempt.body));
    assert.equal(claimsOf(exempt.body.access_token).mfa_enrollment_due, undefined);

    const other = await server.createUser('sign-in-only', { orgId: 'sign-in-org' });
    await setPolicy('sign-in-org', { ...REQUIRE_EXCHANGE, mfaRequired: { signIn: true, apiTokenExchange: false } });
    assert.equal((await exchangeRaw(server, other.apiToken)).status, 200);
  });

  it('lets an enrolled principal exchange with its passcode and issues no due claim', async () => {
    const e = await enrol(server, clock);
    await setPolicy('default', REQUIRE_EXCHANGE);
    try {
      const res = await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(claimsOf(res.body.access_token).mfa_enrollment_due, undefined);
      clock.advance(PERIOD_MS);
      // A service account has no MFA: the policy never applies to the client-credentials grant.
      assert.ok(await serviceAccountToken(server));
    } finally {
      await setPolicy('default', { ...REQUIRE_EXCHANGE, mfaRequired: { signIn: false, apiTokenExchange: false } });
    }
  });

  it('refuses to turn MFA off or remove the last device while the policy requires MFA, and lets an exempt principal', async () => {
    const e = await enrol(server, clock);
    const token = await stepUpToken(server, clock, e);
    await setPolicy('default', { ...REQUIRE_EXCHANGE, mfaRequired: { signIn: true, apiTokenExchange: false } });
    try {
      const off = await postJson(server, MFA, token, { password: e.password, turnedOn: false }, 'PATCH');
      assert.equal(off.status, 403, JSON.stringify(off.body));
      assert.equal(expectCspError(off.body, 403).errorCode, 'mfa_required_by_policy');
      const removed = await postJson(server, `${MFA}/device`, token, { password: e.password }, 'DELETE');
      assert.equal(expectCspError(removed.body, 403).errorCode, 'mfa_required_by_policy');
      assert.equal((await (await server.call(`${MFA}/status`, { token })).json()).turnedOn, true);

      await setPolicy('default', { ...REQUIRE_EXCHANGE, mfaRequired: { signIn: true, apiTokenExchange: false }, exemptUsernames: [e.username] });
      const exemptOff = await postJson(server, MFA, token, { password: e.password, turnedOn: false }, 'PATCH');
      assert.equal(exemptOff.status, 200, JSON.stringify(exemptOff.body));
    } finally {
      await setPolicy('default', { ...REQUIRE_EXCHANGE, mfaRequired: { signIn: false, apiTokenExchange: false } });
    }
  });
});
