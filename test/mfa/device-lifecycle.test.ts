// The MFA device lifecycle over a real socket: register, activate, rename, remove, turn on/off, recovery codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectCspError, startTestServer, TestClock, type TestServer, serviceAccountToken } from '../support/server.js';
import { codeFor, enrol, MFA, PERIOD_MS, postJson, stepAlignedMs, stepUpToken, wrongCodeFor } from './support.js';
import { kyselyOf } from '../../src/storage/internal.js';

describe('MFA device lifecycle', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  const status = async (token: string) => (await server.call(`${MFA}/status`, { token })).json();

  it('registers a pending device: 201 with a base32 secret, otpauth URI and an SVG QR code, not yet shown in the status', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    const res = await postJson(server, `${MFA}/device`, accessToken, { deviceName: '  My phone  ' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const { deviceName, secret, otpauthUri, qrCode, algorithm, digits, period } = res.body;
    assert.equal(deviceName, 'My phone');
    assert.match(secret, /^[A-Z2-7]{32}$/, '160-bit secret in base32');
    assert.equal(otpauthUri, `otpauth://totp/principal-mfa:${user.username}?secret=${secret}&issuer=principal-mfa&algorithm=SHA1&digits=6&period=30`);
    assert.match(qrCode, /^data:image\/svg\+xml;base64,/);
    assert.match(Buffer.from(qrCode.split(',')[1], 'base64').toString(), /^<svg/);
    assert.deepEqual({ algorithm, digits, period }, { algorithm: 'SHA1', digits: 6, period: 30 });
    assert.deepEqual(await status(accessToken), { activated: false, turnedOn: false, username: user.username });
  });

  it('replaces a pending device on a second registration: only the newer secret activates', async () => {
    const { accessToken } = await server.accessTokenFor();
    const first = await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'old' });
    const second = await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'new' });
    assert.notEqual(first.body.secret, second.body.secret);
    const stale = await postJson(server, `${MFA}/device/activate`, accessToken, { passcode: codeFor(first.body.secret, clock) });
    assert.equal(stale.status, 403);
    const fresh = await postJson(server, `${MFA}/device/activate`, accessToken, { passcode: codeFor(second.body.secret, clock) });
    assert.equal(fresh.status, 200);
    assert.equal((await status(accessToken)).deviceName, 'new');
  });

  it('activates with the first code: MFA on, ten distinct recovery codes, device name in the status', async () => {
    const e = await enrol(server, clock, 'laptop');
    assert.equal(e.recoveryCodes.length, 10);
    assert.equal(new Set(e.recoveryCodes).size, 10);
    for (const code of e.recoveryCodes) assert.match(code, /^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
    assert.deepEqual(await status(e.accessToken), { activated: true, deviceName: 'laptop', turnedOn: true, username: e.username });
  });

  it('answers 409 to a registration while an activated device exists', async () => {
    const e = await enrol(server, clock);
    const res = await postJson(server, `${MFA}/device`, e.accessToken, { deviceName: 'another' });
    assert.equal(res.status, 409);
    assert.equal(expectCspError(res.body, 409, res.headers.get('x-request-id')).errorCode, 'mfa_device_exists');
  });

  for (const deviceName of ['', '   ', 'x'.repeat(65), 'tab\there', 'new\nline', 'zero\u200bwidth', 'bell\u0007']) {
    it(`refuses the device name ${JSON.stringify(deviceName)} with 400`, async () => {
      const { accessToken } = await server.accessTokenFor();
      const res = await postJson(server, `${MFA}/device`, accessToken, { deviceName });
      assert.equal(res.status, 400);
      expectCspError(res.body, 400);
    });
  }

  it('accepts a 64-character name of non-ASCII printable characters', async () => {
    const { accessToken } = await server.accessTokenFor();
    const res = await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'é'.repeat(64) });
    assert.equal(res.status, 201);
  });

  it('answers 400 to a registration without deviceName and to a body that is not JSON', async () => {
    const { accessToken } = await server.accessTokenFor();
    assert.equal((await postJson(server, `${MFA}/device`, accessToken, {})).status, 400);
    const res = await server.call(`${MFA}/device`, { method: 'POST', token: accessToken, body: '{not json' });
    assert.equal(res.status, 400);
    expectCspError(await res.json(), 400);
  });

  it('answers 404 to an activation when nothing is pending, and after activation', async () => {
    const { accessToken } = await server.accessTokenFor();
    const none = await postJson(server, `${MFA}/device/activate`, accessToken, { passcode: '123456' });
    assert.equal(none.status, 404);
    assert.equal(expectCspError(none.body, 404).errorCode, 'mfa_device_not_found');
    const e = await enrol(server, clock);
    assert.equal((await postJson(server, `${MFA}/device/activate`, e.accessToken, { passcode: codeFor(e.secret, clock) })).status, 404);
  });

  it('refuses a wrong first code, and a passcode that is not six ASCII digits, with 403; the device stays pending', async () => {
    const { accessToken } = await server.accessTokenFor();
    const { body } = await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'p' });
    const right = codeFor(body.secret, clock);
    for (const passcode of [wrongCodeFor(body.secret, clock), `${right} `, `０${right.slice(1)}`, right.slice(1)]) {
      const res = await postJson(server, `${MFA}/device/activate`, accessToken, { passcode });
      assert.equal(res.status, 403, passcode);
      assert.equal(expectCspError(res.body, 403).errorCode, 'wrong_passcode');
    }
    assert.equal((await status(accessToken)).activated, false);
  });

  it('renames the device and answers with the status; 400 for a bad name; 404 without a device', async () => {
    const e = await enrol(server, clock, 'before');
    const res = await postJson(server, `${MFA}/device`, e.accessToken, { deviceName: 'after' }, 'PATCH');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { activated: true, deviceName: 'after', turnedOn: true, username: e.username });
    assert.equal((await postJson(server, `${MFA}/device`, e.accessToken, { deviceName: '' }, 'PATCH')).status, 400);
    const { accessToken } = await server.accessTokenFor();
    assert.equal((await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'x' }, 'PATCH')).status, 404);
  });

  it('removes the device with the password and a step-up token: 204, status back to off, recovery codes gone', async () => {
    const e = await enrol(server, clock);
    // e.accessToken was minted before MFA was on; removal by password needs a token with a recent second factor.
    const res = await postJson(server, `${MFA}/device`, await stepUpToken(server, clock, e), { password: e.password }, 'DELETE');
    assert.equal(res.status, 204);
    assert.deepEqual(await status(e.accessToken), { activated: false, turnedOn: false, username: e.username });
    assert.equal(await kyselyOf(server.services.store).selectFrom('recovery_codes').select('id').where('user_id', '=', e.userId).executeTakeFirst(), undefined);
    // MFA is off, so the exchange needs no passcode again.
    assert.equal((await server.exchange(e.apiToken)).status, 200);
  });

  it('removes the device with a passcode, or with a recovery code', async () => {
    const a = await enrol(server, clock);
    assert.equal((await postJson(server, `${MFA}/device`, a.accessToken, { passcode: codeFor(a.secret, clock) }, 'DELETE')).status, 204);
    const b = await enrol(server, clock);
    assert.equal((await postJson(server, `${MFA}/device`, b.accessToken, { passcode: b.recoveryCodes[3] }, 'DELETE')).status, 204);
    assert.equal((await status(b.accessToken)).activated, false);
  });

  it('refuses removal with a wrong password or passcode (403), with neither or both (400), and without a device (404)', async () => {
    const e = await enrol(server, clock);
    const wrongPassword = await postJson(server, `${MFA}/device`, await stepUpToken(server, clock, e), { password: 'not-the-password' }, 'DELETE');
    assert.equal(wrongPassword.status, 403);
    assert.equal(expectCspError(wrongPassword.body, 403).errorCode, 'wrong_password');
    assert.equal((await postJson(server, `${MFA}/device`, e.accessToken, { passcode: wrongCodeFor(e.secret, clock) }, 'DELETE')).status, 403);
    assert.equal((await postJson(server, `${MFA}/device`, e.accessToken, {}, 'DELETE')).status, 400);
    assert.equal((await postJson(server, `${MFA}/device`, e.accessToken, { password: e.password, passcode: codeFor(e.secret, clock) }, 'DELETE')).status, 400);
    assert.equal((await status(e.accessToken)).activated, true);
    const { accessToken, password } = await server.accessTokenFor();
    assert.equal((await postJson(server, `${MFA}/device`, accessToken, { password }, 'DELETE')).status, 404);
  });

  it('turns MFA off and on with the password (PATCH …/mfa), keeping the device activated', async () => {
    const e = await enrol(server, clock);
    // Turning MFA off needs a step-up token (see step-up.test.ts); turning it on, the password alone.
    const off = await postJson(server, MFA, await stepUpToken(server, clock, e), { password: e.password, turnedOn: false }, 'PATCH');
    assert.equal(off.status, 200);
    assert.deepEqual(off.body, { turnedOn: false });
    assert.deepEqual(await status(e.accessToken), { activated: true, deviceName: 'phone', turnedOn: false, username: e.username });
    assert.equal((await server.exchange(e.apiToken)).status, 200);
    const on = await postJson(server, MFA, e.accessToken, { password: e.password, turnedOn: true }, 'PATCH');
    assert.deepEqual(on.body, { turnedOn: true });
    assert.equal((await server.exchange(e.apiToken)).status, 401);
  });

  it('answers PATCH …/mfa with 400 without a password, 403 for a wrong one, 404 without an activated device', async () => {
    const e = await enrol(server, clock);
    const noPassword = await postJson(server, MFA, e.accessToken, { turnedOn: false }, 'PATCH');
    assert.equal(noPassword.status, 400);
    expectCspError(noPassword.body, 400);
    const wrong = await postJson(server, MFA, await stepUpToken(server, clock, e), { password: 'wrong-password', turnedOn: false }, 'PATCH');
    assert.equal(wrong.status, 403);
    assert.equal(expectCspError(wrong.body, 403).errorCode, 'wrong_password');
    assert.equal((await status(e.accessToken)).turnedOn, true);
    const { accessToken, password } = await server.accessTokenFor();
    await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'pending' });
    const pending = await postJson(server, MFA, accessToken, { password, turnedOn: true }, 'PATCH');
    assert.equal(pending.status, 404);
    assert.equal((await status(accessToken)).turnedOn, false);
  });

  it('regenerates recovery codes with a passcode: the previous set stops working, the new one works', async () => {
    const e = await enrol(server, clock);
    const res = await postJson(server, `${MFA}/recovery-codes`, e.accessToken, { passcode: codeFor(e.secret, clock) });
    assert.equal(res.status, 200);
    assert.equal(res.body.recoveryCodes.length, 10);
    assert.equal(res.body.recoveryCodes.filter((c: string) => e.recoveryCodes.includes(c)).length, 0);
    assert.equal((await server.exchange(e.apiToken, e.recoveryCodes[0])).status, 401);
    assert.equal((await server.exchange(e.apiToken, res.body.recoveryCodes[0])).status, 200);
  });

  it('refuses regeneration with a wrong passcode (403) and without an activated device (404)', async () => {
    const e = await enrol(server, clock);
    assert.equal((await postJson(server, `${MFA}/recovery-codes`, e.accessToken, { passcode: wrongCodeFor(e.secret, clock) })).status, 403);
    assert.equal((await server.exchange(e.apiToken, e.recoveryCodes[0])).status, 200, 'old set still valid');
    const { accessToken } = await server.accessTokenFor();
    assert.equal((await postJson(server, `${MFA}/recovery-codes`, accessToken, { passcode: '123456' })).status, 404);
  });

  it('refuses every MFA endpoint to a service-account token (403) and to a missing token (401)', async () => {
    const appToken = await serviceAccountToken(server);
    for (const [method, path, body] of [
      ['POST', `${MFA}/device`, { deviceName: 'x' }],
      ['POST', `${MFA}/device/activate`, { passcode: '123456' }],
      ['PATCH', `${MFA}/device`, { deviceName: 'x' }],
      ['DELETE', `${MFA}/device`, { password: 'x' }],
      ['PATCH', MFA, { password: 'x', turnedOn: true }],
      ['POST', `${MFA}/recovery-codes`, { passcode: '123456' }],
      ['POST', `${MFA}/audit`, { startDate: 0, endDate: 1 }],
    ] as const) {
      const forbidden = await postJson(server, path, appToken, body, method);
      assert.equal(forbidden.status, 403, `${method} ${path}`);
      assert.equal(forbidden.body.errorCode, 'service_account_forbidden');
      const anonymous = await server.call(path, { method, body });
      assert.equal(anonymous.status, 401, `${method} ${path}`);
    }
    clock.advance(PERIOD_MS);
  });
});
