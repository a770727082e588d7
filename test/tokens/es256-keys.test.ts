// Issue 11 (ES256 ID tokens): the EC P-256 key beside the RSA key. It is created when the ring opens, sealed
// at rest, rotated with the RSA key, published at the OIDC JWK Set until its tokens expire like an RSA key,
// and it never verifies an access token (csp-auth-token or Bearer), whatever the header says.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kyselyOf } from '../../src/storage/internal.js';
import { isSealed } from '../../src/secrets/sealed-box.js';
import { signCompactJws } from '../../src/tokens/jws-signer.js';
import { rotateSigningKeys } from '../../src/tokens/signing-keys.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { userClaims } from './craft.js';

const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const OIDC_JWKS = '/csp/gateway/am/api/auth/oidc/jwks';
const CSP_JWKS = '/csp/gateway/am/api/auth/token-public-key?format=jwks';

async function kidsAt(server: TestServer, path: string): Promise<string[]> {
  const res = await fetch(`${server.baseUrl}${path}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
}

describe('the EC signing key', () => {
  let server: TestServer;
  const clock = new TestClock();
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  it('is created with the RSA key, sealed at rest, and its row says ES256', async () => {
    const rows = await kyselyOf(server.services.store).selectFrom('signing_keys').select(['kid', 'alg', 'private_jwk', 'public_jwk']).execute();
    assert.deepEqual(rows.map((r) => r.alg).sort(), ['ES256', 'RS256']);
    const ec = rows.find((r) => r.alg === 'ES256')!;
    assert.equal(ec.kid, (await server.services.keys.signingKey('ES256')).kid);
    assert.ok(isSealed(ec.private_jwk), 'the private half is sealed under the master key');
    assert.doesNotMatch(ec.private_jwk, /"d"/);
    assert.deepEqual(Object.keys(JSON.parse(ec.public_jwk)).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it('hostile: an ES256 token shaped like our access token and signed by our EC key is refused (401), as csp-auth-token and as Bearer', async () => {
    const { user } = await server.accessTokenFor();
    const ec = await server.services.keys.signingKey('ES256');
    const claims = userClaims(server, user);
    const forged = [
      // Honest about its algorithm: ES256 with the EC kid.
      await signCompactJws({ alg: 'ES256', typ: 'JWT', kid: ec.kid }, claims, ec.privateKey),
    ];
    // And one that claims RS256 but names the EC kid: the kid alone must not find a key.
    const rsaShaped = (await signCompactJws({ alg: 'ES256', typ: 'JWT', kid: ec.kid }, claims, ec.privateKey)).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: ec.kid })).toString('base64url');
    forged.push([header, rsaShaped[1], rsaShaped[2]].join('.'));
    for (const token of forged) {
      const presentations: Record<string, string>[] = [{ 'csp-auth-token': token }, { authorization: `Bearer ${token}` }];
      for (const headers of presentations) {
        const res = await server.call(STATUS, { headers });
        assert.equal(res.status, 401, JSON.stringify(headers).slice(0, 40));
        assert.equal(expectCspError(await res.json(), 401).errorCode, 'invalid_token');
      }
    }
    assert.equal(await server.services.keys.verificationKey(ec.kid), undefined, 'an EC kid never yields an access-token key');
  });

  it('is published at the OIDC JWK Set only, rotates with the RSA key, and stays published until its ID tokens expire', async () => {
    const rsa1 = (await server.services.keys.signingKey()).kid;
    const ec1 = (await server.services.keys.signingKey('ES256')).kid;
    assert.deepEqual(await kidsAt(server, OIDC_JWKS), [rsa1, ec1]);
    assert.deepEqual(await kidsAt(server, CSP_JWKS), [rsa1], 'token-public-key stays RSA only');

    clock.advance(1_000); // newer keys are listed first: a later created_at than the first keys'
    const rotatedAt = clock.now();
    const { kid: rsa2, ecKid: ec2 } = await rotateSigningKeys(server.services.store, clock, server.services.masterKey);
    assert.equal((await server.services.keys.signingKey('ES256')).kid, ec2, 'the new EC key signs at once');
    // RSA keys first, then EC keys; newest first within each.
    assert.deepEqual(await kidsAt(server, OIDC_JWKS), [rsa2, rsa1, ec2, ec1]);
    assert.deepEqual(await kidsAt(server, CSP_JWKS), [rsa2, rsa1]);
    const retired = await kyselyOf(server.services.store).selectFrom('signing_keys').select('private_jwk').where('kid', '=', ec1).executeTakeFirstOrThrow();
    assert.equal(retired.private_jwk, '', 'a retired EC key keeps no private half');

    // Just before the last token of the old keys expires, both old keys are still published.
    clock.ms = rotatedAt + (1800 - 5) * 1000;
    assert.deepEqual(await kidsAt(server, OIDC_JWKS), [rsa2, rsa1, ec2, ec1]);
    // After it (plus the grace), both are gone, on the same schedule.
    clock.ms = rotatedAt + (1800 + 120) * 1000;
    assert.deepEqual(await kidsAt(server, OIDC_JWKS), [rsa2, ec2]);
  });
});
