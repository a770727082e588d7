// The organization admin API over a real socket: who may call it, step-up, listing, unlock, reset, audit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { codeFor, enrol, exchangeRaw, PERIOD_MS, stepAlignedMs, wrongCodeFor } from '../mfa/support.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { callJson, ORGS, orgAdmin, REQUIRE_EXCHANGE, setRole } from './support.js';

const POLICY = `${ORGS}/default/mfa/policy`;
const PRINCIPALS = `${ORGS}/default/mfa/principals`;

describe('the organization admin API', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock, config: { lockoutThreshold: 3 } });
  });
  after(() => server.close());

  it('refuses a member (403 org_admin_required), and answers an org admin', async () => {
    const member = await server.accessTokenFor();
    const refused = await callJson(server, POLICY, member.accessToken);
    assert.equal(refused.status, 403);
    assert.equal(expectCspError(refused.body, 403).errorCode, 'org_admin_required');

    const admin = await orgAdmin(server, clock);
    const read = await callJson(server, POLICY, admin.stepUp);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.policy.mfaRequired.apiTokenExchange, false);
    assert.equal(read.body.updatedAt, null);
  });

  it('refuses the admin of another organization', async () => {
    const other = await server.createUser('other-org-admin', { orgId: 'other' });
    await setRole(server, other.user, 'org_owner');
    const token = (await exchangeRaw(server, other.apiToken)).body.access_token;
    assert.equal((await callJson(server, `${ORGS}/other/mfa/policy`, token)).status, 200, 'its own organization');
    for (const path of [POLICY, PRINCIPALS, `${PRINCIPALS}/${other.user.username}`, `${ORGS}/default/mfa/report`]) {
      const res = await callJson(server, path, token);
      assert.equal(res.status, 403, path);
      assert.equal(expectCspError(res.body, 403).errorCode, 'org_admin_required');
    }
  });

  it('refuses a demoted admin at once, although its token still carries the role', async () => {
    const admin = await orgAdmin(server, clock);
    const user = await server.services.store.principals.findById(admin.userId);
    await setRole(server, user!, 'org_member');
    assert.equal((await callJson(server, POLICY, admin.stepUp)).body.errorCode, 'org_admin_required');
  });

  it('changes the policy only with step-up, audits it with the actor, and rejects a malformed policy', async () => {
    const admin = await orgAdmin(server, clock);
    const bad = await callJson(server, POLICY, admin.stepUp, 'PUT', { ...REQUIRE_EXCHANGE, allowedAuthenticators: ['sms'] });
    assert.equal(bad.status, 400);
    const extra = await callJson(server, POLICY, admin.stepUp, 'PUT', { ...REQUIRE_EXCHANGE, extra: 1 });
    assert.equal(extra.status, 400);

    clock.advance(901_000); // the token's second factor is now older than --step-up-max-age
    const stale = await callJson(server, POLICY, admin.stepUp, 'PUT', REQUIRE_EXCHANGE);
    assert.equal(stale.status, 401);
    assert.equal(expectCspError(stale.body, 401).errorCode, 'insufficient_user_authentication');
    assert.match(stale.headers.get('www-authenticate') ?? '', /insufficient_user_authentication/);

    const fresh = (await exchangeRaw(server, admin.apiToken, codeFor(admin.secret, clock))).body.access_token;
    clock.advance(PERIOD_MS);
    const put = await callJson(server, POLICY, fresh, 'PUT', { ...REQUIRE_EXCHANGE, gracePeriodDays: 30 });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.updatedBy, admin.username);
    assert.equal(put.body.requiredSince, put.body.updatedAt);
    const events = await server.services.store.orgAudit.latest('default', 5);
    assert.equal(events[0]?.action, 'ORG_POLICY_UPDATE');
    assert.equal(events[0]?.actor, admin.username);
    // Back to nothing required, so the other tests' exchanges are not affected.
    const off = await callJson(server, POLICY, fresh, 'PUT', { ...REQUIRE_EXCHANGE, mfaRequired: { signIn: false, apiTokenExchange: false } });
    assert.equal(off.status, 200);
    assert.equal(off.body.requiredSince, null);
  });

  it('lists principals with filters and keyset pages, and audits the listing', async () => {
    const org = 'listing-org';
    const owner = await server.createUser('lister', { orgId: org });
    await setRole(server, owner.user, 'org_owner');
    const token = (await exchangeRaw(server, owner.apiToken)).body.access_token;
    for (let i = 0; i < 7; i++) await server.createUser(`list-${i}`, { orgId: org });
    const seen: string[] = [];
    let pageStart: string | null = null;
    do {
      const query: string = `pageLimit=3${pageStart ? `&pageStart=${encodeURIComponent(pageStart)}` : ''}`;
      const page = await callJson(server, `${ORGS}/${org}/mfa/principals?${query}`, token);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.results.length <= 3);
      seen.push(...page.body.results.map((p: { username: string }) => p.username));
      pageStart = page.body.nextPageStart;
    } while (pageStart);
    assert.deepEqual(seen, ['list-0', 'list-1', 'list-2', 'list-3', 'list-4', 'list-5', 'list-6', 'lister']);

    const searched = await callJson(server, `${ORGS}/${org}/mfa/principals?search=list-&mfa=off`, token);
    assert.equal(searched.body.results.length, 7);
    assert.equal((await callJson(server, `${ORGS}/${org}/mfa/principals?mfa=on`, token)).body.results.length, 0);
    const bad = await callJson(server, `${ORGS}/${org}/mfa/principals?pageStart=nonsense`, token);
    assert.equal(expectCspError(bad.body, 400).errorCode, 'invalid_request');
    assert.equal((await server.services.store.orgAudit.latest(org, 1))[0]?.action, 'ORG_PRINCIPALS_LIST');
    const totals = await callJson(server, `${ORGS}/${org}/mfa/totals`, token);
    assert.deepEqual(totals.body, { principals: 8, on: 0, pending: 0, off: 8, locked: 0, coverageRatio: 0 });
  });

  it('unlocks a locked principal and keeps its device and recovery codes', async () => {
    const admin = await orgAdmin(server, clock);
    const victim = await enrol(server, clock);
    for (let i = 0; i < 3; i++) await exchangeRaw(server, victim.apiToken, wrongCodeFor(victim.secret, clock));
    assert.equal((await exchangeRaw(server, victim.apiToken, codeFor(victim.secret, clock))).status, 429, 'locked');
    const locked = await callJson(server, `${PRINCIPALS}?mfa=locked&search=${victim.username}`, admin.stepUp);
    assert.deepEqual(
      locked.body.results.map((p: { username: string }) => p.username),
      [victim.username],
    );
    const before = (await callJson(server, `${PRINCIPALS}/${victim.username}`, admin.stepUp)).body.principal;
    assert.ok(before.lockedUntil > clock.now());

    const res = await callJson(server, `${PRINCIPALS}/${victim.username}/unlock`, admin.stepUp, 'POST');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { unlocked: true });
    const detail = (await callJson(server, `${PRINCIPALS}/${victim.username}`, admin.stepUp)).body;
    assert.equal(detail.principal.activated, true);
    assert.equal(detail.principal.recoveryCodesLeft, before.recoveryCodesLeft);
    assert.equal(detail.principal.lockedUntil, null);
    assert.equal(detail.auditEvents[0].action, 'MFA_UNLOCK');
    assert.equal(detail.auditEvents[0].modifiedBy, admin.username);
    // The same device and a recovery code still work.
    assert.equal((await exchangeRaw(server, victim.apiToken, codeFor(victim.secret, clock))).status, 200);
    assert.equal((await exchangeRaw(server, victim.apiToken, victim.recoveryCodes[0])).status, 200);
  });

  it('resets only with step-up, audited with actor and reason; the principal enrols again', async () => {
    const admin = await orgAdmin(server, clock);
    const victim = await enrol(server, clock);
    const path = `${PRINCIPALS}/${victim.username}/reset`;
    clock.advance(901_000);
    const stale = await callJson(server, path, admin.stepUp, 'POST', { reason: 'lost phone' });
    assert.equal(expectCspError(stale.body, 401).errorCode, 'insufficient_user_authentication');
    assert.equal((await exchangeRaw(server, victim.apiToken)).body.errorCode, 'mfa_required', 'device kept');

    const fresh = (await exchangeRaw(server, admin.apiToken, codeFor(admin.secret, clock))).body.access_token;
    clock.advance(PERIOD_MS);
    const res = await callJson(server, path, fresh, 'POST', { reason: 'lost phone' });
    assert.deepEqual(res.body, { removed: true });
    assert.equal((await exchangeRaw(server, victim.apiToken)).status, 200, 'MFA gone');
    const [event] = await server.services.store.orgAudit.latest('default', 1);
    assert.equal(event?.action, 'ORG_PRINCIPAL_RESET');
    assert.equal(event?.actor, admin.username);
    assert.deepEqual(JSON.parse(event?.detail ?? '{}'), { reason: 'lost phone', removed: true });
    assert.equal((await callJson(server, `${PRINCIPALS}/nobody-here/reset`, fresh, 'POST', { reason: 'x' })).body.errorCode, 'org_principal_not_found');
  });

  it('gives a reset principal a new grace period although the organization deadline has passed', async () => {
    const org = 'regrace-org';
    const owner = await server.createUser('regrace-owner', { orgId: org });
    await setRole(server, owner.user, 'org_owner');
    const victim = await server.createUser('regrace-victim', { orgId: org });
    const { setOrgPolicy } = await import('../../src/orgs/policy-store.js');
    await setOrgPolicy(server.services.store, clock, org, { ...REQUIRE_EXCHANGE, gracePeriodDays: 1, exemptUsernames: ['regrace-owner'] } as never, 'admin');
    clock.advance(2 * 86_400_000);
    assert.equal((await exchangeRaw(server, victim.apiToken)).body.errorCode, 'mfa_enrollment_required');
    const { resetByOrgAdmin } = await import('../../src/org-admin/actions.js');
    await resetByOrgAdmin(server.services.store, clock, victim.user, 'regrace-owner', 'new phone');
    assert.equal((await exchangeRaw(server, victim.apiToken)).status, 200);
  });
});
