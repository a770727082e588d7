// The hostile csp-auth-token cases of the security guide, each a 401 through a real socket.
// Where plain `jose` would accept the token, the test shows that too: the refusal is our own check.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
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
});
