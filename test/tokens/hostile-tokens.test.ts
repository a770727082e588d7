// The hostile csp-auth-token cases of the security guide, each a 401 through a real socket.
// Where plain `jose` would accept the token, the test shows that too: the refusal is our own check.
import assert from 'node:assert/strict';
import { createHmac, sign } from 'node:crypto';
import { exportSPKI, generateKeyPair, exportJWK, jwtVerify } from 'jose';
import { after, before, describe, it } from 'node:test';
import type { User } from '../../src/principals/users.js';
import { openSecret } from '../../src/secrets/sealed-box.js';
import { expectError } from '../http/error-contract.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { b64json, craftToken, userClaims } from './craft.js';
import { kyselyOf } from '../../src/storage/internal.js';

const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('hostile csp-auth-token values', () => {
  let server: TestServer;
  let user: User;
  let validToken: string;
  before(async () => {
    // A high failed-auth limit: this file sends many bad tokens from one address on purpose.
    server = await startTestServer({ config: { failedAuthPerMinute: 10_000 } });
    ({ user, accessToken: validToken } = await server.accessTokenFor());
  });
  after(() => server.close());

  /** Refused the same way in csp-auth-token and in Authorization: Bearer (one verifier behind both). */
  const refused = async (token: string, message?: RegExp) => {
    const res = await server.call(STATUS, { token });
    const text = await res.clone().text();
    const code = await expectError(res, 401, [token]);
    if (message) assert.match(JSON.parse(text).message, message);
    const bearer = await server.call(STATUS, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(await expectError(bearer, 401, [token]), code, 'as Authorization: Bearer');
    return code;
  };

  /** jose alone, with our public key and no extra options, accepts the token: so only our own checks refuse it. */
  const joseAloneAccepts = async (token: string) => {
    const { kid } = await server.services.keys.signingKey();
    const key = await server.services.keys.verificationKey(kid);
    await jwtVerify(token, key!, { currentDate: new Date(server.services.clock.now()) });
  };

  it('accepts the unmodified token (the baseline every case below changes)', async () => {
    assert.equal((await server.call(STATUS, { token: validToken })).status, 200);
    const crafted = await craftToken(server, user);
    assert.equal((await server.call(STATUS, { token: crafted })).status, 200);
  });

  it('refuses a token that ends like a verified one but differs before its end (the verified-token cache compares whole tokens)', async () => {
    assert.equal((await server.call(STATUS, { token: validToken })).status, 200); // verified and cached
    const [head, body, signature] = validToken.split('.') as [string, string, string];
    const other = await server.accessTokenFor();
    // Another principal's claims under the cached token's signature: same last characters, another payload.
    assert.equal(await refused(`${head}.${other.accessToken.split('.')[1]}.${signature}`), 'invalid_token');
    // One character changed at the start, and one in the middle of the payload.
    assert.equal(await refused(`${head.startsWith('e') ? 'f' : 'e'}${head.slice(1)}.${body}.${signature}`), 'invalid_token');
    const middle = body.length >> 1;
    const changed = `${body.slice(0, middle)}${body[middle] === 'A' ? 'B' : 'A'}${body.slice(middle + 1)}`;
    assert.equal(await refused(`${head}.${changed}.${signature}`), 'invalid_token');
    assert.equal((await server.call(STATUS, { token: validToken })).status, 200);
  });

  it('refuses alg none, with and without a signature segment', async () => {
    const head = b64json({ alg: 'none', typ: 'JWT' });
    const body = b64json(userClaims(server, user));
    assert.equal(await refused(`${head}.${body}.`), 'invalid_token');
    assert.equal(await refused(`${head}.${body}.${validToken.split('.')[2]}`), 'invalid_token');
    const kidNone = b64json({ alg: 'none', typ: 'JWT', kid: (await server.services.keys.signingKey()).kid });
    assert.equal(await refused(`${kidNone}.${body}.`), 'invalid_token');
  });

  it('refuses HS256 signed with our public key (PEM and JWK text) as the HMAC secret', async () => {
    const { kid } = await server.services.keys.signingKey();
    const publicKey = await server.services.keys.verificationKey(kid);
    const pem = await exportSPKI(publicKey as CryptoKey);
    const jwkText = JSON.stringify(await exportJWK(publicKey as CryptoKey));
    for (const secret of [pem, jwkText]) {
      const input = `${b64json({ alg: 'HS256', typ: 'JWT', kid })}.${b64json(userClaims(server, user))}`;
      const signature = createHmac('sha256', secret).update(input).digest('base64url');
      assert.equal(await refused(`${input}.${signature}`), 'invalid_token');
    }
  });

  it('refuses RS512, PS256 and RS384 signed with our own key: the algorithm is not allowlisted', async () => {
    for (const alg of ['RS512', 'PS256', 'RS384']) {
      const { kid, privateKey } = await server.services.keys.signingKey();
      const { importJWK } = await import('jose');
      const row = await kyselyOf(server.services.store).selectFrom('signing_keys').select('private_jwk').where('kid', '=', kid).executeTakeFirstOrThrow();
      const jwk = { ...JSON.parse(Buffer.from(openSecret(server.services.masterKey, row.private_jwk, kid)).toString('utf8')), alg };
      const key = await importJWK(jwk, alg);
      assert.ok(privateKey);
      const token = await craftToken(server, user, { header: { alg }, key: key as CryptoKey });
      assert.equal(await refused(token), 'invalid_token', alg);
    }
  });

  it('refuses a token signed under an unknown kid, and one with no kid', async () => {
    assert.equal(await refused(await craftToken(server, user, { header: { kid: 'no-such-key' } }), /unknown key/), 'invalid_token');
    assert.equal(await refused(await craftToken(server, user, { header: { kid: undefined } })), 'invalid_token');
  });

  it('refuses a kid full of path or SQL characters and stays healthy', async () => {
    const kids = [
      '../../../../etc/passwd',
      "' OR '1'='1' --",
      '"; DROP TABLE signing_keys; --',
      'kid\u0000null',
      '%2e%2e%2f',
      'x'.repeat(5000),
      '{"$ne":null}',
    ];
    for (const kid of kids) assert.equal(await refused(await craftToken(server, user, { header: { kid } })), 'invalid_token', kid.slice(0, 40));
    assert.equal((await server.call(STATUS, { token: validToken })).status, 200);
    const keys = await kyselyOf(server.services.store).selectFrom('signing_keys').select('kid').execute();
    assert.ok(keys.length >= 1);
  });

  it('refuses an attacker key embedded in the header (jwk) under our kid', async () => {
    const attacker = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(attacker.publicKey);
    assert.equal(await refused(await craftToken(server, user, { header: { jwk }, key: attacker.privateKey })), 'invalid_token');
    assert.equal(await refused(await craftToken(server, user, { header: { jku: 'https://evil.example/jwks' }, key: attacker.privateKey })), 'invalid_token');
  });

  it('refuses a tampered payload (another user, longer expiry, more perms)', async () => {
    const [head, payload, signature] = validToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const other = await server.accessTokenFor();
    for (const change of [{ sub: `local:${other.user.id}`, username: other.user.username }, { exp: claims.exp + 60 }, { perms: ['csp:org_owner'] }]) {
      assert.equal(await refused(`${head}.${b64json({ ...claims, ...change })}.${signature}`), 'invalid_token');
    }
  });

  it('refuses a token without exp, although jose alone would accept it', async () => {
    const token = await craftToken(server, user, { claims: { exp: undefined } });
    await joseAloneAccepts(token);
    assert.equal(await refused(token), 'invalid_token');
  });

  it('refuses tokens missing iat, sub or jti, or with a non-string username', async () => {
    for (const claims of [{ iat: undefined }, { sub: undefined }, { jti: undefined }, { sub: '' }, { username: 42 }]) {
      assert.equal(await refused(await craftToken(server, user, { claims })), 'invalid_token', JSON.stringify(claims));
    }
  });

  it('refuses a lifetime longer than allowed and an iat in the future, although jose alone would accept the first', async () => {
    const now = Math.floor(server.services.clock.now() / 1000);
    const long = await craftToken(server, user, { claims: { iat: now, exp: now + 2 * 3600 } });
    await joseAloneAccepts(long);
    assert.equal(await refused(long, /longer than allowed/), 'invalid_token');
    const future = await craftToken(server, user, { claims: { iat: now + 3600, exp: now + 3600 + 1800 } });
    assert.equal(await refused(future), 'invalid_token');
  });

  it('refuses non-canonical base64url (stray bits, padding, standard alphabet), although jose alone accepts stray bits', async () => {
    const [head, payload, signature] = validToken.split('.') as [string, string, string];
    const last = signature.at(-1) as string;
    // 256 signature bytes leave 4 unused bits in the last character: flipping one keeps the same bytes.
    const twin = `${signature.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(last) ^ 1]}`;
    assert.ok(Buffer.from(twin, 'base64url').equals(Buffer.from(signature, 'base64url')));
    const strayBits = `${head}.${payload}.${twin}`;
    await joseAloneAccepts(strayBits);
    assert.equal(await refused(strayBits), 'invalid_token');
    assert.equal(await refused(`${head}.${payload}.${signature}==`), 'invalid_token');
    const standard = Buffer.from(signature, 'base64url').toString('base64').replace(/=+$/, '');
    if (standard !== signature) assert.equal(await refused(`${head}.${payload}.${standard}`), 'invalid_token');
  });

  it('refuses a crit header and a header that is not JSON', async () => {
    assert.equal(
      await refused(
        await craftToken(server, user, { header: { crit: ['exp'], exp: 1 } }).catch(() => `${b64json({ alg: 'RS256', crit: ['x'], x: 1 })}.e30.AAAA`),
      ),
      'invalid_token',
    );
    const [, payload, signature] = validToken.split('.') as [string, string, string];
    assert.equal(await refused(`${Buffer.from('{not json').toString('base64url')}.${payload}.${signature}`), 'invalid_token');
  });
  /** Header and payload exactly as given (any JSON, not only objects), signed RS256 with the server's own key. */
  const signedRaw = async (header: unknown, payloadJson: string) => {
    const { privateKey } = await server.services.keys.signingKey();
    const input = `${b64json(header)}.${Buffer.from(payloadJson).toString('base64url')}`;
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  };

  it('refuses a b64 header, false or true, although jose alone accepts it (without crit it ignores b64)', async () => {
    for (const b64 of [false, true]) {
      const token = await craftToken(server, user, { header: { b64 } });
      await joseAloneAccepts(token);
      assert.equal(await refused(token), 'invalid_token', `b64: ${b64}`);
    }
  });

  it('refuses a header or payload that is valid JSON but not an object, signed with our key', async () => {
    const { kid } = await server.services.keys.signingKey();
    for (const payload of ['[]', '"a string"', '42', 'null', 'true'])
      assert.equal(await refused(await signedRaw({ alg: 'RS256', typ: 'JWT', kid }, payload)), 'invalid_token', payload);
    const claims = JSON.stringify(userClaims(server, user));
    for (const header of [['RS256'], 'RS256', null]) assert.equal(await refused(await signedRaw(header, claims)), 'invalid_token', JSON.stringify(header));
    // The baseline of this helper: the same bytes with an object header pass.
    assert.equal((await server.call(STATUS, { token: await signedRaw({ alg: 'RS256', typ: 'JWT', kid }, claims) })).status, 200);
  });

  it('refuses another issuer, and exp, iat or nbf that are not numbers, and an nbf in the future', async () => {
    const now = Math.floor(server.services.clock.now() / 1000);
    const cases: Record<string, unknown>[] = [
      { iss: 'https://evil.example/csp/gateway/am/api' },
      { iss: undefined },
      { iss: [server.services.config.issuer] },
      { exp: String(now + 600) },
      { iat: String(now) },
      { nbf: String(now) },
      { nbf: now + 600 },
      { exp: null },
    ];
    for (const claims of cases) assert.equal(await refused(await craftToken(server, user, { claims })), 'invalid_token', JSON.stringify(claims));
    // An nbf in the past and one within the clock tolerance are fine.
    for (const nbf of [now - 60, now + 10])
      assert.equal((await server.call(STATUS, { token: await craftToken(server, user, { claims: { nbf } }) })).status, 200);
  });

  it('answers token_expired for an expired token and for one issued too long ago, invalid_token for one issued too far ahead', async () => {
    const now = Math.floor(server.services.clock.now() / 1000);
    const ttl = server.services.config.accessTokenTtlSeconds;
    assert.equal(await refused(await craftToken(server, user, { claims: { iat: now - ttl - 120, exp: now - 60 } })), 'token_expired');
    // Within the 30 s tolerance it still passes; an iat just inside the tolerance ahead too.
    assert.equal((await server.call(STATUS, { token: await craftToken(server, user, { claims: { iat: now - ttl - 10, exp: now - 10 } }) })).status, 200);
    assert.equal((await server.call(STATUS, { token: await craftToken(server, user, { claims: { iat: now + 20, exp: now + 20 + ttl } }) })).status, 200);
    assert.equal(await refused(await craftToken(server, user, { claims: { iat: now + 120, exp: now + 120 + ttl } })), 'invalid_token');
  });

  it('refuses a signature of the wrong length and one made by PS256 under RS256 (same key, other padding)', async () => {
    const [head, payload, signature] = validToken.split('.') as [string, string, string];
    const bytes = Buffer.from(signature, 'base64url');
    assert.equal(await refused(`${head}.${payload}.${bytes.subarray(0, 255).toString('base64url')}`), 'invalid_token');
    assert.equal(await refused(`${head}.${payload}.${Buffer.concat([Buffer.alloc(1), bytes]).toString('base64url')}`), 'invalid_token');
    const { privateKey } = await server.services.keys.signingKey();
    const { constants } = await import('node:crypto');
    const input = `${head}.${payload}`;
    const pss = sign('sha256', Buffer.from(input), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING }).toString('base64url');
    assert.equal(await refused(`${input}.${pss}`), 'invalid_token');
  });
});
