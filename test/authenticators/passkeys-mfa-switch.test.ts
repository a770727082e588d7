// CSP's on/off switch (PATCH …/principal/mfa) for a principal whose MFA is passkeys only (issue 11 review):
// its status says activated and on, so the switch answers about that MFA instead of "no MFA device" (404).
// Turning it on is confirmed and changes nothing; turning it off is a 409 that says how (docs/mfa.md).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MFA, postJson, stepAlignedMs } from '../mfa/support.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { auditActions, newAuthenticator, register, RP_CONFIG, signInWithPasskey } from './support.js';

describe('the MFA switch of a principal with passkeys only', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock, config: RP_CONFIG });
  });
  after(() => server.close());

  const status = async (token: string) => (await server.call(`${MFA}/status`, { token })).json();

  /** A principal with one passkey, and an access token whose second factor is that passkey (a recent step-up). */
  async function passkeyOnly() {
    const created = await server.accessTokenFor();
    const key = newAuthenticator();
    await register(server, created.accessToken, key, 'YubiKey');
    const signedIn = await signInWithPasskey(server, created.apiToken, key);
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    return { ...created, key, stepUpToken: signedIn.body.access_token as string };
  }

  it('turnedOn:true with the password: 200 {turnedOn:true}, nothing changes and nothing is audited', async () => {
    const person = await passkeyOnly();
    const before = await auditActions(server, person.user.id);
    const answer = await postJson(server, MFA, person.stepUpToken, { password: person.password, turnedOn: true }, 'PATCH');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { turnedOn: true });
    assert.deepEqual(await status(person.stepUpToken), { activated: true, deviceName: 'YubiKey', turnedOn: true, username: person.user.username });
    assert.deepEqual(await auditActions(server, person.user.id), before);
  });

  it('turnedOn:true with a wrong password: 403 wrong_password, audited, counted toward the lockout', async () => {
    const person = await passkeyOnly();
    const answer = await postJson(server, MFA, person.stepUpToken, { password: 'not-the-password', turnedOn: true }, 'PATCH');
    assert.equal(answer.status, 403);
    assert.equal(expectCspError(answer.body, 403).errorCode, 'wrong_password');
    assert.equal((await auditActions(server, person.user.id)).at(-1), 'PASSWORD_VERIFICATION_FAILURE');
  });

  it('turnedOn:false: 409 naming the way (remove the passkeys), and MFA stays on: the exchange still asks for the passkey', async () => {
    const person = await passkeyOnly();
    const before = await auditActions(server, person.user.id);
    const answer = await postJson(server, MFA, person.stepUpToken, { password: person.password, turnedOn: false }, 'PATCH');
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    const { errorCode, message } = expectCspError(answer.body, 409);
    assert.equal(errorCode, 'mfa_on_by_passkeys');
    assert.match(message, /remove/i);
    assert.deepEqual((await status(person.stepUpToken)).turnedOn, true);
    assert.deepEqual(await auditActions(server, person.user.id), before, 'no MFA_DISABLE');
    assert.equal((await server.exchange(person.apiToken)).status, 401, 'a second factor is still required');
  });

  it('keeps CSP’s answers around it: 400 without the password, 404 for a principal with no authenticator', async () => {
    const person = await passkeyOnly();
    const noPassword = await postJson(server, MFA, person.stepUpToken, { turnedOn: false }, 'PATCH');
    assert.equal(noPassword.status, 400);
    expectCspError(noPassword.body, 400);
    const nobody = await server.accessTokenFor();
    const none = await postJson(server, MFA, nobody.accessToken, { password: nobody.password, turnedOn: false }, 'PATCH');
    assert.equal(none.status, 404);
    assert.equal(expectCspError(none.body, 404).errorCode, 'mfa_device_not_found');
  });
});
