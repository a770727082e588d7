// What an org admin sees of principals with passkeys, over a real socket: the listing, the filters, the detail,
// the report's totals and rows, and the due date under a policy that accepts one kind only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setOrgPolicy } from '../../src/orgs/policy-store.js';
import { AUTHENTICATORS, newAuthenticator, register, RP_CONFIG, signInWithPasskey } from '../authenticators/support.js';
import { codeFor, exchangeRaw, MFA, PERIOD_MS, postJson, stepAlignedMs } from '../mfa/support.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { callJson, ORGS, setRole } from './support.js';

describe('the organization admin API with passkeys', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  const org = 'passkey-listing-org';
  const base = `${ORGS}/${org}/mfa`;
  let adminToken: string;
  let passkeyUsedAt: number;
  let totpUsedStepStart: number;

  before(async () => {
    server = await startTestServer({ clock, config: RP_CONFIG });
    const owner = await server.createUser('z-owner', { orgId: org });
    await setRole(server, owner.user, 'org_owner');
    adminToken = (await exchangeRaw(server, owner.apiToken)).body.access_token;

    const principal = async (username: string) => {
      const created = await server.createUser(username, { orgId: org });
      return { ...created, token: (await exchangeRaw(server, created.apiToken)).body.access_token as string };
    };
    const totp = async (token: string, activate: boolean) => {
      const device = await postJson(server, `${MFA}/device`, token, { deviceName: 'phone' });
      assert.equal(device.status, 201, JSON.stringify(device.body));
      if (!activate) return device.body.secret as string;
      const activated = await postJson(server, `${MFA}/device/activate`, token, { passcode: codeFor(device.body.secret, clock) });
      assert.equal(activated.status, 200, JSON.stringify(activated.body));
      clock.advance(PERIOD_MS);
      return device.body.secret as string;
    };

    // a-passkey: one passkey, used once; b-both: TOTP and two passkeys; c-totp: TOTP only;
    // d-pending-passkey: a pending TOTP device beside a passkey; e-pending: a pending device only; f-none.
    const a = await principal('a-passkey');
    const aKey = newAuthenticator();
    await register(server, a.token, aKey);
    clock.advance(PERIOD_MS);
    passkeyUsedAt = clock.now();
    assert.equal((await signInWithPasskey(server, a.apiToken, aKey)).status, 200);

    const b = await principal('b-both');
    await totp(b.token, true);
    await register(server, b.token, newAuthenticator(), 'One');
    await register(server, b.token, newAuthenticator(), 'Two');

    const c = await principal('c-totp');
    const cSecret = await totp(c.token, true);
    totpUsedStepStart = Math.floor(clock.now() / PERIOD_MS) * PERIOD_MS;
    assert.equal((await exchangeRaw(server, c.apiToken, codeFor(cSecret, clock))).status, 200);
    clock.advance(PERIOD_MS);

    const d = await principal('d-pending-passkey');
    await register(server, d.token, newAuthenticator());
    await totp(d.token, false);

    await totp((await principal('e-pending')).token, false);
    await principal('f-none');
    assert.equal((await postJson(server, AUTHENTICATORS, b.token, undefined, 'GET')).body.authenticators.length, 3);
  });
  after(() => server.close());

  const byName = (results: any[]) => Object.fromEntries(results.map((p) => [p.username, p]));
  const usernames = async (filter: string) => (await callJson(server, `${base}/principals?mfa=${filter}`, adminToken)).body.results.map((p: any) => p.username);

  it('counts passkeys in authenticatorCount and authenticatorTypes, and passkey use in lastMfaUse', async () => {
    const page = await callJson(server, `${base}/principals`, adminToken);
    assert.equal(page.status, 200, JSON.stringify(page.body));
    const p = byName(page.body.results);
    const facts = (x: any) => [x.activated, x.turnedOn, x.pending, x.authenticatorCount, x.authenticatorTypes];
    assert.deepEqual(facts(p['a-passkey']), [true, true, false, 1, ['webauthn']]);
    assert.deepEqual(facts(p['b-both']), [true, true, false, 3, ['totp', 'webauthn']]);
    assert.deepEqual(facts(p['c-totp']), [true, true, false, 1, ['totp']]);
    assert.deepEqual(facts(p['d-pending-passkey']), [true, true, false, 1, ['webauthn']]);
    assert.deepEqual(facts(p['e-pending']), [false, false, true, 0, []]);
    assert.deepEqual(facts(p['f-none']), [false, false, false, 0, []]);
    assert.equal(p['a-passkey'].lastMfaUse, passkeyUsedAt);
    assert.equal(p['a-passkey'].recoveryCodesLeft, 10);
    assert.equal(p['c-totp'].lastMfaUse, totpUsedStepStart);
    assert.equal(p['d-pending-passkey'].lastMfaUse, null);

    const detail = await callJson(server, `${base}/principals/a-passkey`, adminToken);
    assert.equal(detail.status, 200, JSON.stringify(detail.body));
    assert.deepEqual(detail.body.principal, p['a-passkey']);
    assert.ok(detail.body.auditEvents.some((e: any) => e.action === 'WEBAUTHN_REGISTRATION'));
  });

  it('files a passkey-only principal under mfa=on, never under off or pending; the totals agree', async () => {
    assert.deepEqual(await usernames('on'), ['a-passkey', 'b-both', 'c-totp', 'd-pending-passkey']);
    assert.deepEqual(await usernames('pending'), ['e-pending']);
    assert.deepEqual(await usernames('off'), ['f-none', 'z-owner']);

    const report = await callJson(server, `${base}/report?format=json`, adminToken);
    assert.equal(report.status, 200);
    assert.deepEqual(report.body.totals, { principals: 7, on: 4, pending: 1, off: 2, locked: 0, coverageRatio: 4 / 7 });
    // The coverage gauge counts the same principals as `on` (the first scrape of this server reads the store).
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    const series = `principal_mfa_org_coverage_ratio{org="${org}"} `;
    assert.equal(
      Number(
        metrics
          .split('\n')
          .find((l) => l.startsWith(series))
          ?.slice(series.length),
      ),
      4 / 7,
    );
    const csv = await (await fetch(`${server.baseUrl}${base}/report?format=csv`, { headers: { 'csp-auth-token': adminToken } })).text();
    const row = csv.split('\r\n').find((line) => line.startsWith('b-both,'));
    assert.match(row ?? '', /^b-both,local,org_member,true,true,false,3,totp webauthn,10,/);
  });

  it('shows enrolmentDueAt for a principal whose authenticators the policy does not accept', async () => {
    await setOrgPolicy(
      server.services.store,
      clock,
      org,
      { mfaRequired: { signIn: true, apiTokenExchange: false }, gracePeriodDays: 30, exemptUsernames: [], allowedAuthenticators: ['totp'] },
      'admin',
    );
    const p = byName((await callJson(server, `${base}/principals`, adminToken)).body.results);
    assert.equal(typeof p['a-passkey'].enrolmentDueAt, 'number');
    assert.equal(typeof p['d-pending-passkey'].enrolmentDueAt, 'number');
    assert.equal(p['b-both'].enrolmentDueAt, null);
    assert.equal(p['c-totp'].enrolmentDueAt, null);

    await setOrgPolicy(
      server.services.store,
      clock,
      org,
      { mfaRequired: { signIn: true, apiTokenExchange: false }, gracePeriodDays: 30, exemptUsernames: [], allowedAuthenticators: ['webauthn'] },
      'admin',
    );
    const q = byName((await callJson(server, `${base}/principals`, adminToken)).body.results);
    assert.equal(q['a-passkey'].enrolmentDueAt, null);
    assert.equal(typeof q['c-totp'].enrolmentDueAt, 'number');
  });
});
