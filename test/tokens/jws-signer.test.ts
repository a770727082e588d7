// The node:crypto signer of our JWTs against jose, the library CSP clients and our own verifier use:
// the same bytes as jose's SignJWT for RS256 (PKCS#1 v1.5 is deterministic), ES256 in JWS's r||s form,
// and a key of the wrong type refused rather than used.
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, importJWK, jwtVerify, SignJWT } from 'jose';
import { signCompactJws } from '../../src/tokens/jws-signer.js';
import { startTestServer, type TestServer } from '../support/server.js';

const claims = { context: 'org-1', perms: ['csp:org_member'], username: 'ada', amr: ['otp', 'mfa'], note: 'ünïcode ✓' };
const registered = { iss: 'https://id.example.test/csp/gateway/am/api', sub: 'example.test:ada', iat: 1_800_000_000, exp: 1_800_001_800, jti: 'a-jti' };

describe('signCompactJws', () => {
  it('gives exactly the token jose SignJWT gives for the same RS256 key, header and claims', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    const joseKey = await importJWK({ ...jwk, alg: 'RS256' }, 'RS256');
    const fromJose = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'k1' })
      .setIssuer(registered.iss)
      .setSubject(registered.sub)
      .setIssuedAt(registered.iat)
      .setExpirationTime(registered.exp)
      .setJti(registered.jti)
      .sign(joseKey);
    const ours = await signCompactJws({ alg: 'RS256', typ: 'JWT', kid: 'k1' }, { ...claims, ...registered }, createPrivateKey({ key: jwk, format: 'jwk' }));
    assert.equal(ours, fromJose);
  });

  it('signs ES256 that jose verifies (64-byte r||s signature), and jose refuses it once a byte changes', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await signCompactJws({ alg: 'ES256', typ: 'JWT', kid: 'e1' }, { ...claims, ...registered }, privateKey);
    assert.equal(Buffer.from(token.split('.')[2] as string, 'base64url').length, 64);
    const verifyKey = await importJWK({ ...(await exportJWK(publicKey)), alg: 'ES256' }, 'ES256');
    const { payload, protectedHeader } = await jwtVerify(token, verifyKey, { algorithms: ['ES256'], currentDate: new Date(registered.iat * 1000) });
    assert.deepEqual(protectedHeader, { alg: 'ES256', typ: 'JWT', kid: 'e1' });
    assert.deepEqual(payload, { ...claims, ...registered });
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await assert.rejects(jwtVerify(flipped, verifyKey, { algorithms: ['ES256'], currentDate: new Date(registered.iat * 1000) }));
  });

  it('refuses to sign RS256 with an EC key or ES256 with an RSA key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await assert.rejects(signCompactJws({ alg: 'RS256', typ: 'JWT', kid: 'x' }, registered, ec), /cannot sign RS256/);
    await assert.rejects(signCompactJws({ alg: 'ES256', typ: 'JWT', kid: 'x' }, registered, rsa), /cannot sign ES256/);
  });

  // Issue 14, item 4: an RS256 signature is ~0.9 ms of OpenSSL work; done on the loop it delays every other
  // request. Off the loop, a callback queued before the call runs while the signature is still being made.
  for (const [alg, keyPair] of [
    ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
  ] as const) {
    it(`signs ${alg} off the event loop: the loop turns while the signature is made`, async () => {
      const { privateKey } = keyPair();
      const order: string[] = [];
      setImmediate(() => order.push('loop turned'));
      const token = await signCompactJws({ alg, typ: 'JWT', kid: 'x' }, registered, privateKey).then((t) => (order.push('signed'), t));
      assert.deepEqual(order, ['loop turned', 'signed']);
      assert.equal(token.split('.').length, 3);
    });
  }
});

describe('tokens of a real exchange, signed by it', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('verify with jose against the published JWKS, both under the same kid, headers exactly alg, typ, kid', async () => {
    const { user, apiToken } = await server.createUser('signed-user');
    const res = await fetch(`${server.baseUrl}/csp/gateway/am/api/auth/api-tokens/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ refresh_token: apiToken }),
    });
    assert.equal(res.status, 200);
    const dto = (await res.json()) as { access_token: string; id_token: string };
    const jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/csp/gateway/am/api/auth/token-public-key?format=jwks`));
    const { kid } = await server.services.keys.signingKey();
    for (const token of [dto.access_token, dto.id_token]) {
      assert.deepEqual(decodeProtectedHeader(token), { alg: 'RS256', typ: 'JWT', kid });
      const { payload } = await jwtVerify(token, jwks, { algorithms: ['RS256'], issuer: server.services.config.issuer });
      assert.equal(payload.sub, `local:${user.id}`);
    }
  });
});
