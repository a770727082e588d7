// Passkeys through the real endpoints over a socket, with a software authenticator: register, list, use at the
// API-token exchange, rename, remove; the status rule over TOTP and passkeys.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { resetMfa } from '../../src/mfa/admin-reset.js';
import { claimsOf, codeFor, enrol, MFA, PERIOD_MS, postJson, stepAlignedMs } from '../mfa/support.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import {
  auditActions,
  AUTHENTICATORS,
  exchangeChallenge,
  exchangeWithPasskey,
  newAuthenticator,
  register,
  registrationOptions,
  RP_CONFIG,
  RP_ID,
  signInWithPasskey,
} from './support.js';

describe('passkeys', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock, config: RP_CONFIG });
  });
  after(() => server.close());

  const status = async (token: string) => (await server.call(`${MFA}/status`, { token })).json();
  const list = async (token: string) => (await postJson(server, AUTHENTICATORS, token, undefined, 'GET')).body.authenticators as any[];

  it('offers creation options: the configured RP, ES256, RS256 and EdDSA, resident key and UV preferred, no attestation', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    const options: any = await registrationOptions(server, accessToken, 'Laptop');
    assert.equal(options.rp.id, RP_ID);
    assert.equal(options.user.name, user.username);
    assert.match(options.challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(
      options.pubKeyCredParams.map((p: any) => p.alg).sort((a: number, b: number) => a - b),
      [-257, -8, -7],
    );
    assert.equal(options.authenticatorSelection.residentKey, 'preferred');
    assert.equal(options.authenticatorSelection.userVerification, 'preferred');
    assert.equal(options.attestation, 'none');
    assert.deepEqual(options.excludeCredentials, []);
  });

  it('registers a passkey: 201 with the authenticator, recovery codes for the first one, MFA on, audited', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    const key = newAuthenticator();
    const created = await register(server, accessToken, key, '  YubiKey  ');
    assert.equal(created.name, 'YubiKey');
    assert.equal(created.recoveryCodes?.length, 10);
    assert.equal(created.backedUp, false);
    assert.deepEqual(await status(accessToken), { activated: true, deviceName: 'YubiKey', turnedOn: true, username: user.username });
    const [listed] = await list(accessToken);
    assert.deepEqual(Object.keys(listed).sort(), ['backedUp', 'createdAt', 'id', 'lastUsedAt', 'name', 'type']);
    assert.deepEqual({ ...listed, createdAt: 0 }, { id: created.id, type: 'webauthn', name: 'YubiKey', createdAt: 0, lastUsedAt: null, backedUp: false });
    assert.deepEqual(await auditActions(server, user.id), ['WEBAUTHN_REGISTRATION', 'MFA_RECOVERY_CODES_GENERATION']);
  });

  it('excludes registered credentials from new options, and a second passkey brings no new recovery codes', async () => {
    const { accessToken } = await server.accessTokenFor();
    const first = newAuthenticator();
    await register(server, accessToken, first, 'one');
    clock.advance(1);
    const options: any = await registrationOptions(server, accessToken, 'two');
    assert.deepEqual(
      options.excludeCredentials.map((c: any) => c.id),
      [first.id],
    );
    const second = await register(server, accessToken, newAuthenticator(), 'two');
    assert.equal(second.recoveryCodes, undefined);
    assert.deepEqual(
      (await list(accessToken)).map((a) => a.name),
      ['one', 'two'],
    );
  });

  it('signs in with a passkey at the API-token exchange: amr hwk, auth_time, lastUsedAt and sign count recorded', async () => {
    const { accessToken, apiToken, user } = await server.accessTokenFor();
    const key = newAuthenticator();
    await register(server, accessToken, key);
    const withoutFactor = await server.exchange(apiToken);
    assert.equal(withoutFactor.status, 401);
    assert.equal(expectCspError(withoutFactor.body, 401).errorCode, 'mfa_required');
    const res = await signInWithPasskey(server, apiToken, key);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const claims = claimsOf(res.body.access_token);
    assert.deepEqual(claims.amr, ['hwk']);
    assert.equal(claims.auth_time, Math.floor(clock.now() / 1000));
    const [listed] = await list(accessToken);
    assert.equal(listed.lastUsedAt, clock.now());
    assert.equal(key.signCount, 1);
    const again = await signInWithPasskey(server, apiToken, key);
    assert.equal(again.status, 200, 'a growing counter is accepted');
    assert.deepEqual((await auditActions(server, user.id)).slice(-2), ['WEBAUTHN_AUTHENTICATION_SUCCESS', 'WEBAUTHN_AUTHENTICATION_SUCCESS']);
  });

  it('marks a synced passkey swk (RFC 8176) and reports it backed up', async () => {
    const { accessToken, apiToken } = await server.accessTokenFor();
    const key = newAuthenticator({ synced: true });
    const created = await register(server, accessToken, key);
    assert.equal(created.backedUp, true);
    const res = await signInWithPasskey(server, apiToken, key);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(claimsOf(res.body.access_token).amr, ['swk']);
  });

  it('lets a passkey-only principal sign in with a recovery code instead', async () => {
    const { accessToken, apiToken } = await server.accessTokenFor();
    const { recoveryCodes } = await register(server, accessToken, newAuthenticator());
    const res = await server.exchange(apiToken, recoveryCodes![0]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(claimsOf(res.body.access_token).amr, ['recovery_code']);
  });

  it('accepts a passkey or the passcode for a principal with both, and refuses both at once', async () => {
    const e = await enrol(server, clock, 'phone');
    const key = newAuthenticator();
    const created = await register(server, e.accessToken, key, 'key');
    assert.equal(created.recoveryCodes, undefined, 'the TOTP activation already issued them');
    assert.equal((await signInWithPasskey(server, e.apiToken, key)).status, 200);
    assert.equal((await server.exchange(e.apiToken, codeFor(e.secret, clock))).status, 200);
    clock.advance(PERIOD_MS);
    const challenge = await exchangeChallenge(server, e.apiToken);
    const both = await exchangeWithPasskey(server, e.apiToken, key.get(challenge.body), { passcode: codeFor(e.secret, clock) });
    assert.equal(both.status, 400);
  });

  it('renames a passkey (audited) and the TOTP device through the same API', async () => {
    const e = await enrol(server, clock, 'phone');
    const created = await register(server, e.accessToken, newAuthenticator(), 'key');
    const renamed = await postJson(server, `${AUTHENTICATORS}/${created.id}`, e.accessToken, { name: 'blue key' }, 'PATCH');
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, 'blue key');
    const totp = await postJson(server, `${AUTHENTICATORS}/totp`, e.accessToken, { name: 'old phone' }, 'PATCH');
    assert.equal(totp.status, 200);
    assert.deepEqual(
      (await list(e.accessToken)).map((a) => [a.type, a.name]),
      [
        ['totp', 'old phone'],
        ['webauthn', 'blue key'],
      ],
    );
    assert.ok((await auditActions(server, e.userId)).includes('WEBAUTHN_NAME_UPDATE'));
    const bad = await postJson(server, `${AUTHENTICATORS}/${created.id}`, e.accessToken, { name: 'tab\there' }, 'PATCH');
    assert.equal(bad.status, 400);
    const missing = await postJson(server, `${AUTHENTICATORS}/00000000-0000-4000-8000-000000000000`, e.accessToken, { name: 'x' }, 'PATCH');
    assert.equal(expectCspError(missing.body, 404).errorCode, 'authenticator_not_found');
  });

  it("does not rename or remove another principal's passkey", async () => {
    const owner = await server.accessTokenFor();
    const created = await register(server, owner.accessToken, newAuthenticator());
    const other = await server.accessTokenFor();
    const rename = await postJson(server, `${AUTHENTICATORS}/${created.id}`, other.accessToken, { name: 'mine' }, 'PATCH');
    assert.equal(rename.status, 404);
    const remove = await postJson(server, `${AUTHENTICATORS}/${created.id}`, other.accessToken, { password: other.password }, 'DELETE');
    assert.equal(remove.status, 404);
    assert.equal((await list(owner.accessToken)).length, 1);
  });

  it('removes a passkey confirmed by a passkey assertion; the last one turns MFA off and drops the recovery codes', async () => {
    const { accessToken, apiToken, user } = await server.accessTokenFor();
    const key = newAuthenticator();
    const created = await register(server, accessToken, key);
    const options = await postJson(server, `${AUTHENTICATORS}/webauthn/authentication-options`, accessToken, {});
    assert.equal(options.status, 200, JSON.stringify(options.body));
    assert.deepEqual(
      options.body.allowCredentials.map((c: any) => c.id),
      [key.id],
    );
    const res = await postJson(server, `${AUTHENTICATORS}/${created.id}`, accessToken, { webauthn: key.get(options.body) }, 'DELETE');
    assert.equal(res.status, 204, JSON.stringify(res.body));
    assert.deepEqual(await status(accessToken), { activated: false, turnedOn: false, username: user.username });
    assert.deepEqual(await list(accessToken), []);
    assert.equal((await server.exchange(apiToken)).status, 200, 'MFA is off: no second factor asked');
    assert.deepEqual((await auditActions(server, user.id)).slice(-3), ['WEBAUTHN_AUTHENTICATION_SUCCESS', 'WEBAUTHN_REMOVAL', 'MFA_DEACTIVATION']);
  });

  it('asks for step-up to remove a passkey with the password alone, and accepts a token from a recent passkey sign-in', async () => {
    const { accessToken, apiToken, password } = await server.accessTokenFor();
    const key = newAuthenticator();
    const created = await register(server, accessToken, key);
    const refused = await postJson(server, `${AUTHENTICATORS}/${created.id}`, accessToken, { password }, 'DELETE');
    assert.equal(refused.status, 401);
    assert.equal(expectCspError(refused.body, 401).errorCode, 'insufficient_user_authentication');
    assert.match(refused.headers.get('www-authenticate') ?? '', /insufficient_user_authentication/);
    const signIn = await signInWithPasskey(server, apiToken, key);
    const res = await postJson(server, `${AUTHENTICATORS}/${created.id}`, signIn.body.access_token, { password }, 'DELETE');
    assert.equal(res.status, 204, JSON.stringify(res.body));
  });

  it('lets an admin reset remove the passkeys too (audited as MFA_DEACTIVATION by admin)', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    await register(server, accessToken, newAuthenticator(), 'lost key');
    assert.deepEqual(await resetMfa(server.services.store, clock, user), { removed: true, deviceName: 'lost key' });
    assert.deepEqual(await list(accessToken), []);
    assert.deepEqual(await status(accessToken), { activated: false, turnedOn: false, username: user.username });
    assert.equal((await auditActions(server, user.id)).at(-1), 'MFA_DEACTIVATION');
  });

  describe('the status rule (deviceName: the TOTP device, else the first passkey)', () => {
    it('TOTP only: the device', async () => {
      const e = await enrol(server, clock, 'phone');
      assert.deepEqual(await status(e.accessToken), { activated: true, deviceName: 'phone', turnedOn: true, username: e.username });
    });

    it('passkeys only: the first registered passkey, MFA on', async () => {
      const { accessToken, user } = await server.accessTokenFor();
      await register(server, accessToken, newAuthenticator(), 'first');
      clock.advance(1);
      await register(server, accessToken, newAuthenticator(), 'second');
      assert.deepEqual(await status(accessToken), { activated: true, deviceName: 'first', turnedOn: true, username: user.username });
    });

    it("both: the TOTP device's name and switch, whichever came first", async () => {
      const { accessToken, user } = await server.accessTokenFor();
      await register(server, accessToken, newAuthenticator(), 'key');
      const registered = await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'phone' });
      assert.deepEqual(
        await status(accessToken),
        { activated: true, deviceName: 'key', turnedOn: true, username: user.username },
        'a pending device is not shown',
      );
      const activated = await postJson(server, `${MFA}/device/activate`, accessToken, { passcode: codeFor(registered.body.secret, clock) });
      assert.equal(activated.status, 200);
      assert.deepEqual(activated.body.recoveryCodes, [], 'the passkey already brought the recovery codes');
      clock.advance(PERIOD_MS);
      assert.deepEqual(await status(accessToken), { activated: true, deviceName: 'phone', turnedOn: true, username: user.username });
    });

    it('after removals: the TOTP device goes, the passkey shows; the first passkey goes, the next one shows; the last goes, MFA off', async () => {
      const e = await enrol(server, clock, 'phone');
      const first = await register(server, e.accessToken, newAuthenticator(), 'first');
      clock.advance(1);
      const second = await register(server, e.accessToken, newAuthenticator(), 'second');
      const removeTotp = await postJson(server, `${MFA}/device`, e.accessToken, { passcode: codeFor(e.secret, clock) }, 'DELETE');
      assert.equal(removeTotp.status, 204);
      clock.advance(PERIOD_MS);
      assert.deepEqual(await status(e.accessToken), { activated: true, deviceName: 'first', turnedOn: true, username: e.username });
      const code = e.recoveryCodes[0]!;
      assert.equal(
        (await postJson(server, `${AUTHENTICATORS}/${first.id}`, e.accessToken, { passcode: code }, 'DELETE')).status,
        204,
        'recovery codes survived',
      );
      assert.deepEqual(await status(e.accessToken), { activated: true, deviceName: 'second', turnedOn: true, username: e.username });
      assert.equal((await postJson(server, `${AUTHENTICATORS}/${second.id}`, e.accessToken, { passcode: e.recoveryCodes[1]! }, 'DELETE')).status, 204);
      assert.deepEqual(await status(e.accessToken), { activated: false, turnedOn: false, username: e.username });
    });
  });
});

describe('passkey challenges across copies of the service', () => {
  it('finishes at one copy a registration and an exchange whose challenges another copy gave', async () => {
    const masterKey = randomBytes(32);
    const first = await startTestServer({ config: RP_CONFIG, masterKey });
    let second: TestServer | undefined;
    try {
      second = await startTestServer({ config: RP_CONFIG, masterKey, databaseUrl: first.testStore.url });
      const { accessToken, apiToken } = await first.accessTokenFor();
      const key = newAuthenticator();
      const options = await registrationOptions(first, accessToken);
      const created = await postJson(second, `${AUTHENTICATORS}/webauthn`, accessToken, key.create(options));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const challenge = await exchangeChallenge(first, apiToken);
      const res = await exchangeWithPasskey(second, apiToken, key.get(challenge.body));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    } finally {
      await second?.close();
      await first.close();
    }
  });
});
