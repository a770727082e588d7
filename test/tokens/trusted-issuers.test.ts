// Access tokens from an outside issuer (--trusted-issuer ISSUER=JWKS_URI), served by a second, in-process
// JWKS server on 127.0.0.1: verification, just-in-time principals, the full MFA lifecycle, and refusals.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { nowSeconds } from '../../src/clock.js';
import { findUserBySubject, findUsersInDomain } from '../../src/principals/users.js';
import { TrustedIssuers } from '../../src/tokens/trusted-issuers.js';
import { codeFor, MFA, postJson, stepAlignedMs, wrongCodeFor } from '../mfa/support.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { AUDIENCE, type Key, makeKey, OutsideIssuer } from './outside-issuer.js';

const ISSUER = 'https://outside-csp.example/csp/gateway/am/api';
/** The issuer's host and path: the domain of the principals its tokens name. */
const DOMAIN = 'outside-csp.example/csp/gateway/am/api';

describe('tokens from a trusted outside issuer', () => {
  const clock = new TestClock(stepAlignedMs());
  const outside = new OutsideIssuer(ISSUER);
  let rsa: Key;
  let ec: Key;
  let server: TestServer;
  const status = (token: string) => server.call(`${MFA}/status`, { token });

  before(async () => {
    await outside.start();
    rsa = await makeKey('outside-rsa', 'RS256');
    ec = await makeKey('outside-ec', 'ES256');
    outside.published = [rsa, ec];
    server = await startTestServer({ clock, config: { trustedIssuers: [outside.trusted()] } });
  });
  after(async () => {
    await server.close();
    await outside.stop();
  });

  test('accepts an RS256 token and creates its principal on first use, in the issuer-derived domain', async () => {
    const token = await outside.mint(rsa, clock, { username: 'alice' });
    const res = await status(token);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { activated: false, turnedOn: false, username: 'alice' });
    const user = await findUserBySubject(server.services.store, ISSUER, 'sub-of-alice');
    assert.ok(user);
    assert.deepEqual([user.username, user.domain, user.orgId], ['alice', DOMAIN, 'outside-org']);
    assert.equal((await status(await outside.mint(rsa, clock, { username: 'alice', jti: 'again' }))).status, 200);
    assert.deepEqual(
      (await findUsersInDomain(server.services.store, DOMAIN, { username: 'alice' })).map((u) => u.id),
      [user.id],
      'the same principal the second time',
    );
  });

  test('accepts an ES256 token too', async () => {
    const res = await status(await outside.mint(ec, clock, { username: 'erin' }));
    assert.equal(res.status, 200);
  });

  test('gives an outside principal the full MFA lifecycle', async () => {
    const token = await outside.mint(rsa, clock, { username: 'mfa-outsider' });
    const registered = await postJson(server, `${MFA}/device`, token, { deviceName: 'outside phone' });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const secret = registered.body.secret as string;
    assert.equal((await postJson(server, `${MFA}/device/activate`, token, { passcode: wrongCodeFor(secret, clock) })).status, 403);
    const activated = await postJson(server, `${MFA}/device/activate`, token, { passcode: codeFor(secret, clock) });
    assert.equal(activated.status, 200);
    assert.equal(activated.body.recoveryCodes.length, 10);
    clock.advance(30_000);
    const shown = await postJson(server, `${MFA}/status`, token, undefined, 'GET');
    assert.deepEqual(shown.body, { activated: true, deviceName: 'outside phone', turnedOn: true, username: 'mfa-outsider' });
    const renamed = await postJson(server, `${MFA}/device`, token, { deviceName: 'renamed' }, 'PATCH');
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.deviceName, 'renamed');
    const codes = await postJson(server, `${MFA}/recovery-codes`, token, { passcode: codeFor(secret, clock) });
    assert.equal(codes.status, 200);
    clock.advance(30_000);
    const audit = await postJson(server, `${MFA}/audit`, token, { startDate: clock.now() - 3_600_000, endDate: clock.now() + 1 });
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    assert.ok(JSON.stringify(audit.body).includes('MFA_ACTIVATION'));
    const removed = await server.call(`${MFA}/device`, { method: 'DELETE', token, body: { passcode: codes.body.recoveryCodes[0] } });
    assert.equal(removed.status, 204);
    assert.deepEqual((await postJson(server, `${MFA}/status`, token, undefined, 'GET')).body, { activated: false, turnedOn: false, username: 'mfa-outsider' });
  });

  test('never maps an outside token onto a local user, whatever domain or sub it claims', async () => {
    const local = await server.accessTokenFor('shared-name');
    const registered = await postJson(server, `${MFA}/device`, local.accessToken, { deviceName: 'local phone' });
    await postJson(server, `${MFA}/device/activate`, local.accessToken, { passcode: codeFor(registered.body.secret, clock) });
    clock.advance(30_000);
    const forged = await outside.mint(rsa, clock, { username: 'shared-name', domain: 'local', sub: `local:${local.user.id}` });
    const res = await status(forged);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { activated: false, turnedOn: false, username: 'shared-name' }, 'a different principal');
  });

  test('answers 403 to an outside application token (no username)', async () => {
    const res = await status(await outside.mint(rsa, clock, { sub: 'client-app' }));
    assert.equal(res.status, 403);
    assert.equal(expectCspError(await res.json(), 403, res.headers.get('x-request-id')).errorCode, 'service_account_forbidden');
  });

  test('refuses with 401 an HS256 token, a token of an unknown kid, and one of an untrusted issuer', async () => {
    const secret = new TextEncoder().encode('a shared secret that nobody should accept here');
    const iat = nowSeconds(clock);
    const hs = await new SignJWT({ username: 'mallory', aud: AUDIENCE })
      .setProtectedHeader({ alg: 'HS256', kid: 'outside-rsa' })
      .setIssuer(ISSUER)
      .setSubject('m')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 600)
      .sign(secret);
    const stranger = await makeKey('not-published', 'RS256');
    const unknownKid = await outside.mint(stranger, clock, { username: 'mallory' });
    const untrusted = await outside.mint(rsa, clock, { username: 'mallory', iss: 'https://elsewhere.example' });
    for (const token of [hs, unknownKid, untrusted]) {
      const res = await status(token);
      assert.equal(res.status, 401);
      assert.equal(expectCspError(await res.json(), 401).errorCode, 'invalid_token');
    }
    assert.deepEqual(await findUsersInDomain(server.services.store, DOMAIN, { username: 'mallory' }), []);
  });
});

describe('the outside issuer key set', () => {
  test('is refetched on an unknown kid (after the cool-down), and an unreachable JWKS is a 503, not a 401', async () => {
    const clock = new TestClock();
    const outside = new OutsideIssuer(ISSUER);
    await outside.start();
    try {
      const first = await makeKey('k1', 'RS256');
      outside.published = [first];
      const trusted = new TrustedIssuers([outside.trusted()], clock, { timeoutMs: 2_000, cooldownMs: 0, cacheMaxAgeMs: 600_000 });
      assert.equal((await trusted.verify(await outside.mint(first, clock, { username: 'u' }), ISSUER)).username, 'u');
      const fetchesBefore = outside.fetches;
      const rotated = await makeKey('k2', 'ES256');
      outside.published = [first, rotated];
      assert.equal((await trusted.verify(await outside.mint(rotated, clock, { username: 'u' }), ISSUER)).username, 'u');
      assert.equal(outside.fetches, fetchesBefore + 1, 'one refetch for the unknown kid');

      outside.up = false;
      const unseen = await makeKey('k3', 'RS256');
      await assert.rejects(trusted.verify(await outside.mint(unseen, clock, { username: 'u' }), ISSUER), (error: any) => error.code === 'service_unavailable');
    } finally {
      await outside.stop();
    }
  });
});
