// RFC 9470 step-up: turning MFA off, removing the device and new recovery codes need a recent second factor.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_ISSUER, loadConfig } from '../../src/config.js';
import { hasRecentSecondFactor, tokenAuthentication } from '../../src/mfa/step-up.js';
import { createUser } from '../../src/principals/users.js';
import { createApiToken } from '../../src/tokens/api-tokens.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { codeFor, enrol, exchangeRaw, MFA, PERIOD_MS, postJson, stepAlignedMs, stepUpToken, wrongCodeFor } from './support.js';

const CHALLENGE = /^Bearer error="insufficient_user_authentication", error_description="[^"\\]+", max_age=900$/;

/** A 401 step-up challenge: the RFC 9470 header and a CspErrorResponse with the same error code. */
function expectStepUpChallenge(res: { status: number; body: any; headers: Headers }, maxAge = 900): void {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(expectCspError(res.body, 401).errorCode, 'insufficient_user_authentication');
  const challenge = res.headers.get('www-authenticate') ?? '';
  assert.match(challenge, maxAge === 900 ? CHALLENGE : new RegExp(`max_age=${maxAge}$`));
}

describe('step-up for the dangerous MFA operations', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  const status = async (token: string) => (await server.call(`${MFA}/status`, { token })).json();

  it('finding 8.5: refuses to turn MFA off with a token minted before MFA was on, password or not', async () => {
    const e = await enrol(server, clock); // e.accessToken was minted while MFA was off: no amr
    const off = await postJson(server, MFA, e.accessToken, { password: e.password, turnedOn: false }, 'PATCH');
    expectStepUpChallenge(off);
    assert.equal((await status(e.accessToken)).turnedOn, true);
    assert.equal((await exchangeRaw(server, e.apiToken)).body.errorCode, 'mfa_required', 'MFA still on');
  });

  it('finding 8.5: refuses to remove the device with the password alone from a token without a second factor', async () => {
    const e = await enrol(server, clock);
    expectStepUpChallenge(await postJson(server, `${MFA}/device`, e.accessToken, { password: e.password }, 'DELETE'));
    assert.equal((await status(e.accessToken)).activated, true);
  });

  it('finding 8.5: refuses a token minted without MFA even after MFA was turned on, while renaming still works', async () => {
    const e = await enrol(server, clock);
    const renamed = await postJson(server, `${MFA}/device`, e.accessToken, { deviceName: 'renamed' }, 'PATCH');
    assert.equal(renamed.status, 200, 'renaming needs no step-up');
    expectStepUpChallenge(await postJson(server, `${MFA}/recovery-codes`, e.accessToken, {}));
  });

  it('turns MFA off and removes the device with a step-up token and the password', async () => {
    const e = await enrol(server, clock);
    const token = await stepUpToken(server, clock, e);
    const off = await postJson(server, MFA, token, { password: e.password, turnedOn: false }, 'PATCH');
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.deepEqual(off.body, { turnedOn: false });
    assert.equal((await postJson(server, `${MFA}/device`, token, { password: e.password }, 'DELETE')).status, 204);
    assert.equal((await status(token)).activated, false);
  });

  it('accepts a current passcode in the body instead of a step-up token, and still wants the password', async () => {
    const e = await enrol(server, clock);
    const noPassword = await postJson(server, MFA, e.accessToken, { passcode: codeFor(e.secret, clock), turnedOn: false }, 'PATCH');
    assert.equal(noPassword.status, 400, 'CSP requires the password');
    const off = await postJson(server, MFA, e.accessToken, { password: e.password, passcode: codeFor(e.secret, clock), turnedOn: false }, 'PATCH');
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal((await status(e.accessToken)).turnedOn, false);
  });

  it('keeps asking for the password with a step-up token: 400 without it, 403 when wrong', async () => {
    const e = await enrol(server, clock);
    const token = await stepUpToken(server, clock, e);
    assert.equal((await postJson(server, MFA, token, { turnedOn: false }, 'PATCH')).status, 400);
    const wrong = await postJson(server, MFA, token, { password: 'not-it', turnedOn: false }, 'PATCH');
    assert.equal(expectCspError(wrong.body, 403).errorCode, 'wrong_password');
    assert.equal((await postJson(server, `${MFA}/device`, token, {}, 'DELETE')).status, 400);
    assert.equal((await status(token)).turnedOn, true);
  });

  it('finding 8.5: refuses a step-up token whose second factor is older than --step-up-max-age', async () => {
    const e = await enrol(server, clock);
    const token = await stepUpToken(server, clock, e);
    clock.advance(900_000 - PERIOD_MS); // 900 s after the exchange: still recent
    const onTime = await postJson(server, MFA, token, { password: e.password, turnedOn: false }, 'PATCH');
    assert.equal(onTime.status, 200, JSON.stringify(onTime.body));
    assert.equal((await postJson(server, MFA, token, { password: e.password, turnedOn: true }, 'PATCH')).status, 200);
    clock.advance(1_000); // the token lives 1800 s, but its second factor is now 901 s old
    expectStepUpChallenge(await postJson(server, MFA, token, { password: e.password, turnedOn: false }, 'PATCH'));
    expectStepUpChallenge(await postJson(server, `${MFA}/device`, token, { password: e.password }, 'DELETE'));
    assert.equal((await status(token)).turnedOn, true);
  });

  it('turns MFA on with the password alone, as CSP documents', async () => {
    const e = await enrol(server, clock);
    const off = await postJson(server, MFA, await stepUpToken(server, clock, e), { password: e.password, turnedOn: false }, 'PATCH');
    assert.equal(off.status, 200);
    const on = await postJson(server, MFA, e.accessToken, { password: e.password, turnedOn: true }, 'PATCH');
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal((await status(e.accessToken)).turnedOn, true);
  });

  it('finding 8.5: refuses to regenerate recovery codes with a recovery code, and does not spend it', async () => {
    const e = await enrol(server, clock);
    const res = await postJson(server, `${MFA}/recovery-codes`, e.accessToken, { passcode: e.recoveryCodes[0] });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    expectCspError(res.body, 400);
    assert.equal((await exchangeRaw(server, e.apiToken, e.recoveryCodes[0])).status, 200, 'the code is unspent and the old set valid');
  });

  it('finding 8.5: refuses to regenerate recovery codes with a token signed in by a recovery code, not with one signed in by a passcode', async () => {
    const e = await enrol(server, clock);
    const byRecoveryCode = await exchangeRaw(server, e.apiToken, e.recoveryCodes[0]);
    assert.equal(byRecoveryCode.status, 200);
    expectStepUpChallenge(await postJson(server, `${MFA}/recovery-codes`, byRecoveryCode.body.access_token, {}));
    assert.equal((await exchangeRaw(server, e.apiToken, e.recoveryCodes[1])).status, 200, 'the old set is still valid');
    const byPasscode = await stepUpToken(server, clock, e);
    const regenerated = await postJson(server, `${MFA}/recovery-codes`, byPasscode, {});
    assert.equal(regenerated.status, 200, JSON.stringify(regenerated.body));
    assert.equal(regenerated.body.recoveryCodes.length, 10);
    assert.equal((await exchangeRaw(server, e.apiToken, e.recoveryCodes[2])).status, 401, 'the old set is gone');
  });

  it('lets a token signed in by a recovery code turn MFA off and remove a lost device', async () => {
    const e = await enrol(server, clock);
    const token = (await exchangeRaw(server, e.apiToken, e.recoveryCodes[0])).body.access_token as string;
    assert.equal((await postJson(server, `${MFA}/device`, token, { password: e.password }, 'DELETE')).status, 204);
  });

  it('finding 8.5: refuses a correct password while the principal is locked out (429)', async () => {
    const e = await enrol(server, clock);
    const token = await stepUpToken(server, clock, e);
    const wrong = wrongCodeFor(e.secret, clock);
    for (let i = 0; i < 5; i++) assert.equal((await exchangeRaw(server, e.apiToken, wrong)).status, 401);
    const on = await postJson(server, MFA, e.accessToken, { password: e.password, turnedOn: true }, 'PATCH');
    assert.equal(on.status, 429, JSON.stringify(on.body));
    assert.equal(expectCspError(on.body, 429).errorCode, 'mfa_locked');
    assert.ok(Number(on.headers.get('retry-after')) > 0);
    assert.equal((await postJson(server, MFA, token, { password: e.password, turnedOn: false }, 'PATCH')).status, 429);
    assert.equal((await postJson(server, `${MFA}/device`, token, { password: e.password }, 'DELETE')).status, 429);
    assert.equal((await status(token)).activated, true);
    clock.advance(15 * 60_000);
  });
});

describe('step-up, configured', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock, config: { stepUpMaxAgeSeconds: 60 } });
  });
  after(() => server.close());

  it('reads --step-up-max-age and PRINCIPAL_MFA_STEP_UP_MAX_AGE (default 900)', () => {
    assert.equal(loadConfig([], {}).stepUpMaxAgeSeconds, 900);
    assert.equal(loadConfig(['--step-up-max-age', '120'], {}).stepUpMaxAgeSeconds, 120);
    assert.equal(loadConfig([], { PRINCIPAL_MFA_STEP_UP_MAX_AGE: '300' }).stepUpMaxAgeSeconds, 300);
    assert.throws(() => loadConfig(['--step-up-max-age', '0'], {}), /--step-up-max-age/);
  });

  it('follows the configured maximum age and announces it in max_age', async () => {
    const e = await enrol(server, clock);
    const token = await stepUpToken(server, clock, e);
    clock.advance(60_000 - PERIOD_MS + 1_000);
    expectStepUpChallenge(await postJson(server, MFA, token, { password: e.password, turnedOn: false }, 'PATCH'), 60);
  });
});

describe('step-up for a principal without a password', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  /** A user created without --password-stdin, with an enrolled device. */
  async function enrolWithoutPassword(username: string) {
    const user = await createUser(server.services.store, clock, { username, passwordHash: null });
    const apiToken = await createApiToken(server.services.store, clock, user.id);
    const accessToken = (await exchangeRaw(server, apiToken)).body.access_token as string;
    const secret = (await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'phone' })).body.secret as string;
    assert.equal((await postJson(server, `${MFA}/device/activate`, accessToken, { passcode: codeFor(secret, clock) })).status, 200);
    clock.advance(PERIOD_MS);
    return { apiToken, accessToken, secret };
  }

  it('finding 8.17: lets a step-up token stand in for the password that the principal does not have', async () => {
    const p = await enrolWithoutPassword('no-password-1');
    const token = await stepUpToken(server, clock, p);
    const off = await postJson(server, MFA, token, { turnedOn: false }, 'PATCH');
    assert.equal(off.status, 200, JSON.stringify(off.body));
    assert.equal((await exchangeRaw(server, p.apiToken)).status, 200, 'MFA is off');
    const on = await postJson(server, MFA, token, { turnedOn: true }, 'PATCH');
    assert.equal(on.status, 200, JSON.stringify(on.body));
    assert.equal((await postJson(server, `${MFA}/device`, token, {}, 'DELETE')).status, 204);
  });

  it('finding 8.17: still refuses such a principal without a step-up token, or with a made-up password', async () => {
    const p = await enrolWithoutPassword('no-password-2');
    expectStepUpChallenge(await postJson(server, MFA, p.accessToken, { turnedOn: false }, 'PATCH'));
    expectStepUpChallenge(await postJson(server, MFA, p.accessToken, { password: '', turnedOn: false }, 'PATCH'));
    const token = await stepUpToken(server, clock, p);
    const madeUp = await postJson(server, MFA, token, { password: 'guess', turnedOn: false }, 'PATCH');
    assert.equal(expectCspError(madeUp.body, 403).errorCode, 'wrong_password');
  });
});

describe('which tokens prove a recent second factor', () => {
  const nowMs = 1_800_000_000_000;
  const claims = (extra: Record<string, unknown>) => ({ sub: 'local:u', iss: DEFAULT_ISSUER, exp: 0, iat: 0, jti: 'j', ...extra });
  const recent = (extra: Record<string, unknown>, factors: ('otp' | 'recovery_code')[] = ['otp', 'recovery_code']) =>
    hasRecentSecondFactor(tokenAuthentication(claims(extra), DEFAULT_ISSUER), factors, nowMs, 900);

  it('counts our own token with amr and a recent auth_time, within the factors asked for', () => {
    assert.equal(recent({ amr: ['otp'], auth_time: nowMs / 1000 - 900 }), true);
    assert.equal(recent({ amr: ['recovery_code'], auth_time: nowMs / 1000 }), true);
    assert.equal(recent({ amr: ['recovery_code'], auth_time: nowMs / 1000 }, ['otp']), false);
  });

  it('does not count a token without amr or auth_time, too old, or dated in the future', () => {
    assert.equal(recent({ auth_time: nowMs / 1000 }), false);
    assert.equal(recent({ amr: ['otp'] }), false);
    assert.equal(recent({ amr: ['pwd'], auth_time: nowMs / 1000 }), false);
    assert.equal(recent({ amr: ['otp'], auth_time: nowMs / 1000 - 901 }), false);
    assert.equal(recent({ amr: ['otp'], auth_time: nowMs / 1000 + 3600 }), false);
  });

  it("does not count an outside issuer's amr: it says nothing about the device registered here", () => {
    const outside = tokenAuthentication(claims({ iss: 'https://idp.example', amr: ['otp', 'mfa'], auth_time: nowMs / 1000 }), DEFAULT_ISSUER);
    assert.equal(hasRecentSecondFactor(outside, ['otp', 'recovery_code'], nowMs, 900), false);
  });
});
