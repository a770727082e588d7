// Hostile passkey registrations and assertions, each through the real endpoints: a clear 4xx, an audit event,
// never a 500; a refused assertion counts toward the lockout like a wrong passcode.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { postJson, stepAlignedMs } from '../mfa/support.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { FLAG, type SoftwareAuthenticator, type Spoil } from '../support/software-authenticator.js';
import {
  auditActions,
  AUTHENTICATORS,
  exchangeChallenge,
  exchangeWithPasskey,
  newAuthenticator,
  ORIGIN,
  register,
  registrationOptions,
  RP_CONFIG,
  signInWithPasskey,
  tryRegister,
} from './support.js';

const FIVE_MINUTES_MS = 5 * 60_000;
const oversizedClientData = (type: string, challenge: string) =>
  Buffer.from(JSON.stringify({ type, challenge, origin: ORIGIN, crossOrigin: false, padding: 'x'.repeat(5000) }));

describe('hostile passkey registrations', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock, config: RP_CONFIG });
  });
  after(() => server.close());

  /** The registration is refused with 400 webauthn_registration_refused, audited, and nothing is stored. */
  async function expectRefused(res: { status: number; body: any }, userId: string, token: string, reason: RegExp) {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    const error = expectCspError(res.body, 400);
    assert.equal(error.errorCode, 'webauthn_registration_refused');
    assert.match(error.message, reason);
    assert.deepEqual(await auditActions(server, userId), ['WEBAUTHN_REGISTRATION_FAILURE']);
    assert.deepEqual((await postJson(server, AUTHENTICATORS, token, undefined, 'GET')).body.authenticators, []);
  }

  const cases: [string, (challenge: string) => Spoil, RegExp][] = [
    ['wrong origin', () => ({ origin: 'https://evil.example' }), /origin/i],
    ['wrong RP ID hash', () => ({ rpIdForHash: 'evil.example' }), /RP ID/i],
    ['UP flag missing', () => ({ flags: FLAG.UV | FLAG.AT }), /present/i],
    ['malformed CBOR', () => ({ attestationObject: Buffer.from([0xa3, 0x63, 0x66, 0x6d, 0x74, 0xff, 0x00]) }), /did not verify/],
    ['oversized clientDataJSON', (challenge) => ({ clientDataJSON: oversizedClientData('webauthn.create', challenge) }), /larger than 4096/],
    ['a clientDataJSON that is not JSON', () => ({ clientDataJSON: Buffer.from('{not json') }), /not JSON/],
    ['the type of an assertion', () => ({ type: 'webauthn.get' }), /type/i],
  ];
  for (const [name, spoil, reason] of cases) {
    it(`refuses a registration with ${name}`, async () => {
      const { accessToken, user } = await server.accessTokenFor();
      const options = await registrationOptions(server, accessToken);
      const res = await postJson(server, `${AUTHENTICATORS}/webauthn`, accessToken, newAuthenticator().create(options, spoil(options.challenge)));
      await expectRefused(res, user.id, accessToken, reason);
    });
  }

  it('refuses a replayed registration challenge', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    const options = await registrationOptions(server, accessToken);
    const first = await postJson(server, `${AUTHENTICATORS}/webauthn`, accessToken, newAuthenticator().create(options));
    assert.equal(first.status, 201);
    const replay = await postJson(server, `${AUTHENTICATORS}/webauthn`, accessToken, newAuthenticator().create(options));
    assert.equal(replay.status, 400);
    assert.match(expectCspError(replay.body, 400).message, /unknown, already used/);
    assert.equal((await auditActions(server, user.id)).at(-1), 'WEBAUTHN_REGISTRATION_FAILURE');
  });

  it("refuses another principal's registration challenge", async () => {
    const victim = await server.accessTokenFor();
    const options = await registrationOptions(server, victim.accessToken);
    const attacker = await server.accessTokenFor();
    const res = await postJson(server, `${AUTHENTICATORS}/webauthn`, attacker.accessToken, newAuthenticator().create(options));
    await expectRefused(res, attacker.user.id, attacker.accessToken, /not this principal/);
  });

  it('refuses an expired registration challenge (five minutes)', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    const options = await registrationOptions(server, accessToken);
    clock.advance(FIVE_MINUTES_MS);
    const res = await postJson(server, `${AUTHENTICATORS}/webauthn`, accessToken, newAuthenticator().create(options));
    await expectRefused(res, user.id, accessToken, /expired/);
  });

  it('refuses a credential id that is already registered (to another principal)', async () => {
    const key = newAuthenticator();
    const owner = await server.accessTokenFor();
    await register(server, owner.accessToken, key);
    const other = await server.accessTokenFor();
    const res = await tryRegister(server, other.accessToken, key);
    await expectRefused(res, other.user.id, other.accessToken, /already registered/);
  });

  it('answers a body that is not a registration response with a schema 400, never a 500', async () => {
    const { accessToken } = await server.accessTokenFor();
    for (const body of [
      {},
      { id: 'x', rawId: 'x', type: 'public-key', response: {} },
      { id: 'x'.repeat(3000), rawId: 'x', type: 'public-key', response: {} },
    ]) {
      const res = await postJson(server, `${AUTHENTICATORS}/webauthn`, accessToken, body);
      assert.equal(res.status, 400);
      expectCspError(res.body, 400);
    }
  });
});

describe('hostile passkey assertions', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock, config: { ...RP_CONFIG, lockoutThreshold: 5 } });
  });
  after(() => server.close());

  /** A principal with one registered passkey. */
  async function withPasskey(options: { userVerification?: boolean } = {}) {
    const { accessToken, apiToken, user } = await server.accessTokenFor();
    const key = newAuthenticator(options);
    await register(server, accessToken, key);
    return { accessToken, apiToken, user, key };
  }

  /** Refused at the exchange with 401 invalid_webauthn and the audit event, and no token issued. */
  async function expectRefused(res: { status: number; body: any }, userId: string, reason: RegExp, action = 'WEBAUTHN_AUTHENTICATION_FAILURE') {
    assert.equal(res.status, 401, JSON.stringify(res.body));
    const error = expectCspError(res.body, 401);
    assert.equal(error.errorCode, 'invalid_webauthn');
    assert.match(error.message, reason);
    assert.equal((await auditActions(server, userId)).at(-1), action);
  }

  const spoiled = async (spoil: (challenge: string) => Spoil, reason: RegExp) => {
    const { apiToken, user, key } = await withPasskey();
    const challenge = await exchangeChallenge(server, apiToken);
    await expectRefused(await exchangeWithPasskey(server, apiToken, key.get(challenge.body, spoil(challenge.body.challenge))), user.id, reason);
  };

  it('refuses a wrong origin', () => spoiled(() => ({ origin: 'https://evil.example' }), /origin/i));
  it('refuses a wrong RP ID hash', () => spoiled(() => ({ rpIdForHash: 'evil.example' }), /RP ID/i));
  it('refuses an assertion without the UP flag', () => spoiled(() => ({ flags: FLAG.UV }), /present/i));
  it('refuses malformed CBOR in authenticatorData', () => spoiled(() => ({ authenticatorData: Buffer.from([0xff, 0x00, 0x13]) }), /did not verify/));
  it('refuses an oversized clientDataJSON', () => spoiled((c) => ({ clientDataJSON: oversizedClientData('webauthn.get', c) }), /larger than 4096/));
  it('refuses a signature by another key', () =>
    spoiled(() => ({ signingKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }), /did not verify/));
  it('refuses the type of a registration', () => spoiled(() => ({ type: 'webauthn.create' }), /type/i));

  it('refuses an assertion without UV from a key that verified its user at registration', async () => {
    const { apiToken, user, key } = await withPasskey({ userVerification: true });
    const challenge = await exchangeChallenge(server, apiToken);
    await expectRefused(await exchangeWithPasskey(server, apiToken, key.get(challenge.body, { flags: FLAG.UP })), user.id, /verif/i);
  });

  it('accepts presence alone from a key registered without user verification', async () => {
    const { apiToken, key } = await withPasskey({ userVerification: false });
    assert.equal((await signInWithPasskey(server, apiToken, key)).status, 200);
  });

  it('refuses a replayed assertion (its challenge is spent)', async () => {
    const { apiToken, user, key } = await withPasskey();
    const challenge = await exchangeChallenge(server, apiToken);
    const assertion = key.get(challenge.body);
    assert.equal((await exchangeWithPasskey(server, apiToken, assertion)).status, 200);
    await expectRefused(await exchangeWithPasskey(server, apiToken, assertion), user.id, /unknown, already used/);
  });

  it("refuses an assertion over another principal's challenge", async () => {
    const victim = await withPasskey();
    const attacker = await withPasskey();
    const victimChallenge = await exchangeChallenge(server, victim.apiToken);
    await expectRefused(await exchangeWithPasskey(server, attacker.apiToken, attacker.key.get(victimChallenge.body)), attacker.user.id, /not this principal/);
  });

  it('refuses an expired challenge (five minutes)', async () => {
    const { apiToken, user, key } = await withPasskey();
    const challenge = await exchangeChallenge(server, apiToken);
    clock.advance(FIVE_MINUTES_MS);
    await expectRefused(await exchangeWithPasskey(server, apiToken, key.get(challenge.body)), user.id, /expired/);
  });

  it('refuses a sign counter that goes backwards (a cloned authenticator), audited as such', async () => {
    const { apiToken, user, key } = await withPasskey();
    assert.equal((await signInWithPasskey(server, apiToken, key)).status, 200);
    assert.equal((await signInWithPasskey(server, apiToken, key)).status, 200);
    const clone = await signInWithPasskey(server, apiToken, key, { signCount: 1 });
    await expectRefused(clone, user.id, /counter went backwards/, 'WEBAUTHN_SIGN_COUNT_REGRESSION');
    assert.equal((await signInWithPasskey(server, apiToken, key)).status, 200, 'the original, counting on, still works');
  });

  it('refuses an unknown credential', async () => {
    const { apiToken, user } = await withPasskey();
    const stranger: SoftwareAuthenticator = newAuthenticator();
    await expectRefused(await signInWithPasskey(server, apiToken, stranger), user.id, /not registered for this principal/);
  });

  it("refuses another principal's credential", async () => {
    const owner = await withPasskey();
    const attacker = await withPasskey();
    await expectRefused(await signInWithPasskey(server, attacker.apiToken, owner.key), attacker.user.id, /not registered for this principal/);
  });

  it('refuses a webauthn field that is not JSON, or not a response', async () => {
    const { apiToken, user } = await withPasskey();
    await expectRefused(await exchangeWithPasskey(server, apiToken, '{not json'), user.id, /not JSON/);
    await expectRefused(await exchangeWithPasskey(server, apiToken, '{"type":"public-key"}'), user.id, /response object/);
  });

  it('counts refused assertions toward the lockout: after five, even a good one gets 429', async () => {
    const { apiToken, key } = await withPasskey();
    for (let i = 0; i < 5; i++) assert.equal((await signInWithPasskey(server, apiToken, key, { origin: 'https://evil.example' })).status, 401);
    const locked = await signInWithPasskey(server, apiToken, key);
    assert.equal(locked.status, 429);
    assert.equal(expectCspError(locked.body, 429).errorCode, 'mfa_locked');
  });

  it('refuses a bad assertion confirming a removal with 403 webauthn_refused, and keeps the passkey', async () => {
    const { accessToken, user, key } = await withPasskey();
    const [listed] = (await postJson(server, AUTHENTICATORS, accessToken, undefined, 'GET')).body.authenticators;
    const options = await postJson(server, `${AUTHENTICATORS}/webauthn/authentication-options`, accessToken, {});
    const res = await postJson(
      server,
      `${AUTHENTICATORS}/${listed.id}`,
      accessToken,
      { webauthn: key.get(options.body, { rpIdForHash: 'evil.example' }) },
      'DELETE',
    );
    assert.equal(res.status, 403);
    assert.equal(expectCspError(res.body, 403).errorCode, 'webauthn_refused');
    assert.equal((await auditActions(server, user.id)).at(-1), 'WEBAUTHN_AUTHENTICATION_FAILURE');
    assert.equal((await postJson(server, AUTHENTICATORS, accessToken, undefined, 'GET')).body.authenticators.length, 1);
  });

  it('counts a refused assertion in /metrics as a passkey refusal, not as a refused passcode', async () => {
    const metric = async (name: string) => {
      const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
      return Number(new RegExp(`^principal_mfa_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    };
    const [passcodesBefore, passkeysBefore] = [await metric('passcode_failures_total'), await metric('webauthn_failures_total')];
    const { apiToken, key } = await withPasskey();
    assert.equal((await signInWithPasskey(server, apiToken, key, { origin: 'https://evil.example' })).status, 401);
    assert.equal(await metric('webauthn_failures_total'), passkeysBefore + 1);
    assert.equal(await metric('passcode_failures_total'), passcodesBefore);
  });

  it('gives the exchange challenge only for a valid API token, and 404 to a principal without passkeys', async () => {
    const bad = await exchangeChallenge(server, 'not-a-token');
    assert.equal(expectCspError(bad.body, 400).errorCode, 'invalid_grant');
    const { apiToken } = await server.createUser();
    const none = await exchangeChallenge(server, apiToken);
    assert.equal(expectCspError(none.body, 404).errorCode, 'authenticator_not_found');
  });
});
