// The newcomer flow of docs/mfa.md, end to end over a real socket, with an authenticator built on src/mfa/totp.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base32Decode, timeStep, totpAt } from '../../src/mfa/totp.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { claimsOf, exchangeRaw, MFA, PERIOD_MS, postJson, stepAlignedMs } from './support.js';

describe('newcomer MFA flow', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  it('registers, activates, exchanges with and without a passcode, spends a recovery code once, turns MFA off and on, reads the audit log', async () => {
    const start = clock.now();
    const { apiToken, password, user } = await server.createUser('newcomer');
    // The authenticator: what `oathtool --totp -b SECRET` prints at the current time.
    const authenticator = (secret: string) => totpAt(base32Decode(secret), timeStep(clock.now()));
    const nextStep = () => clock.advance(PERIOD_MS);

    // 1. An access token, while MFA is off.
    const first = await exchangeRaw(server, apiToken);
    assert.equal(first.status, 200);
    const token = first.body.access_token as string;

    // 2. Register a device; take its secret to the authenticator.
    const device = await postJson(server, `${MFA}/device`, token, { deviceName: 'my laptop' });
    assert.equal(device.status, 201);
    const { secret } = device.body;

    // 3. Activate with the first code: MFA on, recovery codes shown once.
    const activated = await postJson(server, `${MFA}/device/activate`, token, { passcode: authenticator(secret) });
    assert.equal(activated.status, 200);
    assert.equal(activated.body.activated, true);
    assert.equal(activated.body.turnedOn, true);
    const recoveryCodes: string[] = activated.body.recoveryCodes;
    assert.equal(recoveryCodes.length, 10);

    // 4. The status shows it.
    const status = await (await server.call(`${MFA}/status`, { token })).json();
    assert.deepEqual(status, { activated: true, deviceName: 'my laptop', turnedOn: true, username: 'newcomer' });

    // 5. The exchange now needs a passcode.
    nextStep();
    assert.equal((await exchangeRaw(server, apiToken)).body.errorCode, 'mfa_required');
    const withCode = await exchangeRaw(server, apiToken, authenticator(secret));
    assert.equal(withCode.status, 200);
    assert.deepEqual(claimsOf(withCode.body.access_token).amr, ['otp']);

    // 6. A recovery code works once.
    const recovered = await exchangeRaw(server, apiToken, recoveryCodes[0]);
    assert.equal(recovered.status, 200);
    assert.deepEqual(claimsOf(recovered.body.access_token).amr, ['recovery_code']);
    assert.equal((await exchangeRaw(server, apiToken, recoveryCodes[0])).body.errorCode, 'invalid_passcode');

    // 7. Turn MFA off (with the token of step 5: its second factor is recent), then on again.
    const stepUp = withCode.body.access_token as string;
    assert.deepEqual((await postJson(server, MFA, stepUp, { password, turnedOn: false }, 'PATCH')).body, { turnedOn: false });
    assert.equal((await exchangeRaw(server, apiToken)).status, 200);
    assert.deepEqual((await postJson(server, MFA, token, { password, turnedOn: true }, 'PATCH')).body, { turnedOn: true });
    nextStep();
    assert.equal((await exchangeRaw(server, apiToken, authenticator(secret))).status, 200);

    // 8. The audit log tells the story, newest first.
    const audit = await postJson(server, `${MFA}/audit`, token, { startDate: start, endDate: clock.now() });
    assert.equal(audit.status, 200);
    assert.deepEqual(audit.body.results.map((r: { action: string }) => r.action).reverse(), [
      'AUTHENTICATION_WITHOUT_MFA',
      'MFA_AUTHENTICATION_SUCCESS',
      'MFA_ACTIVATION',
      'MFA_RECOVERY_CODES_GENERATION',
      'MFA_AUTHENTICATION_SUCCESS',
      'MFA_RECOVERY_CODE_AUTHENTICATION_SUCCESS',
      'MFA_RECOVERY_CODE_AUTHENTICATION_FAILURE',
      'MFA_DISABLE',
      'AUTHENTICATION_WITHOUT_MFA',
      'MFA_ENABLE',
      'MFA_AUTHENTICATION_SUCCESS',
    ]);
    assert.ok(audit.body.results.every((r: { username: string; modifiedBy: string }) => r.username === user.username && r.modifiedBy === user.username));
  });
});
