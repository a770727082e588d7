// Passcodes at the API-token exchange: mfa_required, invalid_passcode, recovery codes, amr and auth_time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { claimsOf, codeFor, enrol, exchangeRaw, MFA, PERIOD_MS, postJson, stepAlignedMs, stepUpToken, wrongCodeFor } from './support.js';

describe('API-token exchange with MFA', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  it('issues tokens without amr or auth_time while MFA is off, ignoring a passcode sent anyway', async () => {
    const { apiToken } = await server.createUser();
    for (const passcode of [undefined, '123456']) {
      const res = await server.exchange(apiToken, passcode);
      assert.equal(res.status, 200);
      const claims = claimsOf(res.body.access_token);
      assert.equal(claims.amr, undefined);
      assert.equal(claims.auth_time, undefined);
    }
  });

  it('answers 401 mfa_required without a passcode once MFA is on', async () => {
    const e = await enrol(server, clock);
    const res = await exchangeRaw(server, e.apiToken);
    assert.equal(res.status, 401);
    assert.equal(expectCspError(res.body, 401, res.headers.get('x-request-id')).errorCode, 'mfa_required');
  });

  for (const [label, make] of [
    ['a wrong code', (s: string, c: TestClock) => wrongCodeFor(s, c)],
    ['five digits', (s: string, c: TestClock) => codeFor(s, c).slice(1)],
    ['seven digits', (s: string, c: TestClock) => `${codeFor(s, c)}0`],
    ['Arabic-Indic digits', () => '١٢٣٤٥٦'],
    ['a code two steps old', (s: string, c: TestClock) => codeFor(s, c, -2)],
    ['an unknown recovery code', () => 'aaaa-bbbb-cccc-dddd'],
  ] as const) {
    it(`answers 401 invalid_passcode to ${label}`, async () => {
      const e = await enrol(server, clock);
      const res = await exchangeRaw(server, e.apiToken, make(e.secret, clock));
      assert.equal(res.status, 401);
      assert.equal(expectCspError(res.body, 401).errorCode, 'invalid_passcode');
    });
  }

  it('accepts the code of the previous and of the next step (±1 window)', async () => {
    const a = await enrol(server, clock);
    clock.advance(PERIOD_MS); // the activation used the step before enrol() returned
    assert.equal((await exchangeRaw(server, a.apiToken, codeFor(a.secret, clock, -1))).status, 200);
    const b = await enrol(server, clock);
    assert.equal((await exchangeRaw(server, b.apiToken, codeFor(b.secret, clock, 1))).status, 200);
    clock.advance(2 * PERIOD_MS);
  });

  it('records amr ["otp"] and auth_time = the verification time in the access token', async () => {
    const e = await enrol(server, clock);
    clock.advance(7_000);
    const res = await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock));
    assert.equal(res.status, 200);
    const claims = claimsOf(res.body.access_token);
    assert.deepEqual(claims.amr, ['otp']);
    assert.equal(claims.auth_time, Math.floor(clock.now() / 1000));
    // The access token works on the MFA API like any other.
    assert.equal((await server.call(`${MFA}/status`, { token: res.body.access_token })).status, 200);
    clock.advance(PERIOD_MS);
  });

  it('accepts a recovery code once (amr ["recovery_code"]), in any case and grouping, and refuses it the second time', async () => {
    const e = await enrol(server, clock);
    const code = e.recoveryCodes[5]!;
    const typed = code.toUpperCase().replace(/-/g, ' ');
    const first = await exchangeRaw(server, e.apiToken, typed);
    assert.equal(first.status, 200);
    assert.deepEqual(claimsOf(first.body.access_token).amr, ['recovery_code']);
    assert.equal((await exchangeRaw(server, e.apiToken, code)).status, 401);
    // The other codes of the set are untouched.
    assert.equal((await exchangeRaw(server, e.apiToken, e.recoveryCodes[6])).status, 200);
  });

  it("does not accept one principal's recovery code for another", async () => {
    const a = await enrol(server, clock);
    const b = await enrol(server, clock);
    assert.equal((await exchangeRaw(server, b.apiToken, a.recoveryCodes[0])).status, 401);
    assert.equal((await exchangeRaw(server, a.apiToken, a.recoveryCodes[0])).status, 200);
  });

  it('needs a passcode again after MFA is turned back on, and none while it is off', async () => {
    const e = await enrol(server, clock);
    // Turning MFA off needs a step-up token (a token minted with a passcode), not the one minted before MFA was on.
    const off = await postJson(server, MFA, await stepUpToken(server, clock, e), { password: e.password, turnedOn: false }, 'PATCH');
    assert.equal(off.status, 200);
    assert.equal((await exchangeRaw(server, e.apiToken)).status, 200);
    await postJson(server, MFA, e.accessToken, { password: e.password, turnedOn: true }, 'PATCH');
    assert.equal((await exchangeRaw(server, e.apiToken)).body.errorCode, 'mfa_required');
  });
});
