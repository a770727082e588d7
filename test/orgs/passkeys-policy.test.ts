// The organization MFA policy with passkeys, over a real socket with a software authenticator: which
// authenticators satisfy `allowedAuthenticators` at the exchange, and when removing one is refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setOrgPolicy } from '../../src/orgs/policy-store.js';
import { AUTHENTICATORS, exchangeChallenge, exchangeWithPasskey, newAuthenticator, register, RP_CONFIG, signInWithPasskey } from '../authenticators/support.js';
import { claimsOf, codeFor, exchangeRaw, MFA, PERIOD_MS, postJson, stepAlignedMs } from '../mfa/support.js';
import { DAY_MS } from '../../src/orgs/policy.js';
import type { SoftwareAuthenticator } from '../support/software-authenticator.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { REQUIRE_EXCHANGE } from './support.js';

describe('the organization MFA policy with passkeys', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock, config: RP_CONFIG });
  });
  after(() => server.close());

  let orgCounter = 0;
  const newOrg = () => `passkey-org-${++orgCounter}`;
  const setPolicy = (orgId: string, policy: object) => setOrgPolicy(server.services.store, clock, orgId, policy as never, 'admin');
  const requiring = (allowedAuthenticators: string[], gracePeriodDays = 0) => ({ ...REQUIRE_EXCHANGE, gracePeriodDays, allowedAuthenticators });

  /** A principal of `orgId` with an access token taken before any policy applies. */
  async function principal(orgId: string) {
    const created = await server.createUser(undefined, { orgId });
    const res = await exchangeRaw(server, created.apiToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return { ...created, accessToken: res.body.access_token as string };
  }

  async function withPasskey(orgId: string, options: { synced?: boolean } = {}) {
    const p = await principal(orgId);
    const key = newAuthenticator(options);
    const registered = await register(server, p.accessToken, key);
    return { ...p, key, passkeyId: registered.id, recoveryCodes: registered.recoveryCodes ?? [] };
  }

  async function withTotp(p: { accessToken: string }) {
    const device = await postJson(server, `${MFA}/device`, p.accessToken, { deviceName: 'phone' });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    const secret = device.body.secret as string;
    const activated = await postJson(server, `${MFA}/device/activate`, p.accessToken, { passcode: codeFor(secret, clock) });
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    clock.advance(PERIOD_MS);
    return secret;
  }

  /** DELETE …/authenticators/{id} confirmed by an assertion of `key`. */
  async function removeWithPasskey(p: { accessToken: string }, id: string, key: SoftwareAuthenticator) {
    const options = await postJson(server, `${AUTHENTICATORS}/webauthn/authentication-options`, p.accessToken, undefined);
    assert.equal(options.status, 200, JSON.stringify(options.body));
    return postJson(server, `${AUTHENTICATORS}/${id}`, p.accessToken, { webauthn: key.get(options.body) }, 'DELETE');
  }

  const kinds = async (token: string) => ((await postJson(server, AUTHENTICATORS, token, undefined, 'GET')).body.authenticators as any[]).map((a) => a.type);

  it('with ["webauthn"]: a passkey-only principal passes with its passkey (device-bound or synced) and with a recovery code', async () => {
    const org = newOrg();
    const bound = await withPasskey(org);
    const synced = await withPasskey(org, { synced: true });
    await setPolicy(org, requiring(['webauthn']));

    for (const p of [bound, synced]) {
      const res = await signInWithPasskey(server, p.apiToken, p.key);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const claims = claimsOf(res.body.access_token);
      assert.deepEqual(claims.amr, [p === synced ? 'swk' : 'hwk']);
      assert.equal(claims.mfa_enrollment_due, undefined);
    }
    // The recovery codes came with the passkey: they stand for it.
    const recovered = await exchangeRaw(server, bound.apiToken, bound.recoveryCodes[0]);
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
    assert.deepEqual(claimsOf(recovered.body.access_token).amr, ['recovery_code']);
  });

  it('with ["webauthn"]: a TOTP-only principal is refused after the grace period, let in with the due claim inside it', async () => {
    const org = newOrg();
    const p = await principal(org);
    const secret = await withTotp(p);
    await setPolicy(org, requiring(['webauthn'], 1));
    const inside = await exchangeRaw(server, p.apiToken, codeFor(secret, clock));
    assert.equal(inside.status, 200, JSON.stringify(inside.body));
    assert.equal(typeof claimsOf(inside.body.access_token).mfa_enrollment_due, 'number');

    clock.advance(DAY_MS);
    const outside = await exchangeRaw(server, p.apiToken, codeFor(secret, clock));
    clock.advance(PERIOD_MS);
    const error = expectCspError(outside.body, 403);
    assert.equal(error.errorCode, 'mfa_enrollment_required');
    assert.match(error.message, /passkey/i);
  });

  it('with ["totp"]: a passkey-only principal is treated as not enrolled (refused after the grace period)', async () => {
    const org = newOrg();
    const p = await withPasskey(org);
    await setPolicy(org, requiring(['totp']));
    const res = await signInWithPasskey(server, p.apiToken, p.key);
    const error = expectCspError(res.body, 403);
    assert.equal(error.errorCode, 'mfa_enrollment_required');
    assert.match(error.message, /TOTP/);
    // Nor does its recovery code count: it stands for the passkey, which this policy does not accept.
    const recovered = await exchangeRaw(server, p.apiToken, p.recoveryCodes[0]);
    assert.equal(expectCspError(recovered.body, 403).errorCode, 'mfa_enrollment_required');
  });

  it('refuses removing the last passkey while the policy requires MFA, before any confirmation is checked', async () => {
    const org = newOrg();
    const p = await withPasskey(org);
    await setPolicy(org, { ...requiring(['totp', 'webauthn']), mfaRequired: { signIn: true, apiTokenExchange: false } });

    const removed = await removeWithPasskey(p, p.passkeyId, p.key);
    assert.equal(removed.status, 403, JSON.stringify(removed.body));
    assert.equal(expectCspError(removed.body, 403).errorCode, 'mfa_required_by_policy');
    // Not even the password is looked at: the policy answers first.
    const unconfirmed = await postJson(server, `${AUTHENTICATORS}/${p.passkeyId}`, p.accessToken, { password: 'wrong' }, 'DELETE');
    assert.equal(expectCspError(unconfirmed.body, 403).errorCode, 'mfa_required_by_policy');
    const off = await postJson(server, MFA, p.accessToken, { password: p.password, turnedOn: false }, 'PATCH');
    assert.equal(expectCspError(off.body, 403).errorCode, 'mfa_required_by_policy');
    assert.deepEqual(await kinds(p.accessToken), ['webauthn']);
    // An unknown id is still a 404, not a policy refusal.
    const unknown = await postJson(server, `${AUTHENTICATORS}/no-such-id`, p.accessToken, { password: p.password }, 'DELETE');
    assert.equal(expectCspError(unknown.body, 404).errorCode, 'authenticator_not_found');

    // A second passkey makes the first one removable.
    const second = newAuthenticator();
    await register(server, p.accessToken, second, 'Second');
    const ok = await removeWithPasskey(p, p.passkeyId, p.key);
    assert.equal(ok.status, 204, JSON.stringify(ok.body));
    assert.deepEqual(await kinds(p.accessToken), ['webauthn']);

    // Exempt: the last one goes.
    await setPolicy(org, { ...requiring(['totp', 'webauthn']), exemptUsernames: [p.user.username] });
    const [last] = (await postJson(server, AUTHENTICATORS, p.accessToken, undefined, 'GET')).body.authenticators;
    assert.equal((await removeWithPasskey(p, last.id, second)).status, 204);
  });

  it('counts only allowed kinds as what remains: with ["totp"] the TOTP device is the last one, with ["webauthn"] the passkey', async () => {
    const org = newOrg();
    const p = await withPasskey(org);
    const secret = await withTotp(p);
    const q = await withPasskey(org);
    const qSecret = await withTotp(q);
    await setPolicy(org, requiring(['totp']));

    // The TOTP device is the last allowed authenticator: refused through either route.
    const viaDevice = await postJson(server, `${MFA}/device`, p.accessToken, { passcode: codeFor(secret, clock) }, 'DELETE');
    assert.equal(expectCspError(viaDevice.body, 403).errorCode, 'mfa_required_by_policy');
    const viaAuthenticators = await postJson(server, `${AUTHENTICATORS}/totp`, p.accessToken, { passcode: codeFor(secret, clock) }, 'DELETE');
    assert.equal(expectCspError(viaAuthenticators.body, 403).errorCode, 'mfa_required_by_policy');
    // The passkey is not what the policy relies on: it may go.
    const passkeyGone = await removeWithPasskey(p, p.passkeyId, p.key);
    assert.equal(passkeyGone.status, 204, JSON.stringify(passkeyGone.body));
    assert.deepEqual(await kinds(p.accessToken), ['totp']);

    await setPolicy(org, requiring(['webauthn']));
    // Holding both does not make a TOTP passcode acceptable to a passkeys-only policy; the passkey is.
    const byPasscode = await exchangeRaw(server, q.apiToken, codeFor(qSecret, clock));
    clock.advance(PERIOD_MS);
    assert.equal(expectCspError(byPasscode.body, 403).errorCode, 'mfa_enrollment_required');
    assert.equal((await signInWithPasskey(server, q.apiToken, q.key)).status, 200);
    const passkeyRefused = await removeWithPasskey(q, q.passkeyId, q.key);
    assert.equal(expectCspError(passkeyRefused.body, 403).errorCode, 'mfa_required_by_policy');
    const totpGone = await postJson(server, `${AUTHENTICATORS}/totp`, q.accessToken, { passcode: codeFor(qSecret, clock) }, 'DELETE');
    clock.advance(PERIOD_MS);
    assert.equal(totpGone.status, 204, JSON.stringify(totpGone.body));
    assert.deepEqual(await kinds(q.accessToken), ['webauthn']);
  });

  it('lets only one of two concurrent removals through when each alone would leave one passkey and both would leave none', async () => {
    const org = newOrg();
    const p = await withPasskey(org);
    const second = newAuthenticator();
    const secondId = (await register(server, p.accessToken, second, 'Second')).id;
    await setPolicy(org, requiring(['webauthn']));
    // The password plus a token from a recent passkey sign-in confirms each removal: the password hash
    // runs between the route's early policy check and the delete, so both requests pass that check.
    const signedIn = await signInWithPasskey(server, p.apiToken, p.key);
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    const token = signedIn.body.access_token as string;
    const remove = (id: string) => postJson(server, `${AUTHENTICATORS}/${id}`, token, { password: p.password }, 'DELETE');
    const [a, b] = await Promise.all([remove(p.passkeyId), remove(secondId)]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [204, 403], `${JSON.stringify(a.body)} ${JSON.stringify(b.body)}`);
    assert.equal(expectCspError((a.status === 403 ? a : b).body, 403).errorCode, 'mfa_required_by_policy');
    assert.deepEqual(await kinds(token), ['webauthn']);
  });

  it('lets the exchange challenge be asked for under any policy (the policy decides after the assertion)', async () => {
    const org = newOrg();
    const p = await withPasskey(org);
    await setPolicy(org, requiring(['totp']));
    const challenge = await exchangeChallenge(server, p.apiToken);
    assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
    const res = await exchangeWithPasskey(server, p.apiToken, p.key.get(challenge.body));
    assert.equal(expectCspError(res.body, 403).errorCode, 'mfa_enrollment_required');
  });
});
