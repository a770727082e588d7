// Private signing keys at rest: sealed with the master key and bound to their kid, a plaintext key left
// by an earlier version sealed on the next start, and no private half kept for a retired key.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, it } from 'node:test';
import { DEFAULTS } from '../../src/config.js';
import { createUser } from '../../src/principals/users.js';
import { openSecret } from '../../src/secrets/sealed-box.js';
import { createServices } from '../../src/services.js';
import { sqlitePath, type Store } from '../../src/storage/database.js';
import { rotateSigningKey } from '../../src/tokens/signing-keys.js';
import { startTestServer, TestClock } from '../support/server.js';
import { createTestStore, testBackend } from '../support/store.js';
import { kyselyOf } from '../../src/storage/internal.js';

const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';

/** Everything an attacker holding the store could read: the SQLite file and its WAL, or every key row on PostgreSQL. */
async function storedBytes(url: string, store: Store): Promise<Buffer[]> {
  if (testBackend() === 'sqlite') {
    const path = sqlitePath(url)!;
    return [path, `${path}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p));
  }
  return [Buffer.from(JSON.stringify(await kyselyOf(store).selectFrom('signing_keys').selectAll().execute()))];
}

/** The private JWK sealed in a row, opened with the master key and the row's kid. */
function openPrivateJwk(masterKey: Buffer, row: { kid: string; private_jwk: string }): Record<string, string | undefined> {
  return JSON.parse(Buffer.from(openSecret(masterKey, row.private_jwk, row.kid)).toString('utf8'));
}

describe('private signing keys at rest', () => {
  it('finding 8.1: stores the private signing key only as AES-GCM ciphertext bound to its kid, never in the file', async () => {
    const masterKey = randomBytes(32);
    const server = await startTestServer({ masterKey });
    try {
      const [row] = await kyselyOf(server.services.store).selectFrom('signing_keys').selectAll().execute();
      assert.ok(row);
      assert.match(row.private_jwk, /^v1\./, 'the private half is sealed');
      const jwk = openPrivateJwk(masterKey, row);
      assert.equal(jwk.kid, row.kid);
      assert.ok(jwk.d && jwk.p && jwk.q, 'the sealed JWK holds the private members');
      assert.throws(() => openSecret(masterKey, row.private_jwk, 'another-kid'), /failed authentication/);
      assert.throws(() => openSecret(randomBytes(32), row.private_jwk, row.kid), /failed authentication/);
      const privateMembers = [jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq] as string[];
      for (const bytes of await storedBytes(server.testStore.url, server.services.store)) {
        for (const member of privateMembers) assert.equal(bytes.indexOf(member), -1, 'a private RSA member in the store');
      }
      // The server signs with it all the same.
      const { accessToken } = await server.accessTokenFor();
      assert.equal((await server.call(STATUS, { token: accessToken })).status, 200);
    } finally {
      await server.close();
    }
  });

  it('finding 8.1: seals a plaintext key left by an earlier version on first start, and tokens it signed still verify', async () => {
    const testStore = await createTestStore();
    const masterKey = randomBytes(32);
    const clock = new TestClock();
    // The row exactly as the previous version wrote it: the private JWK as plain JSON.
    const kid = randomUUID();
    const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const base = { kid, alg: 'RS256', use: 'sig' };
    const privateJwk = { ...(await exportJWK(pair.privateKey)), ...base };
    await kyselyOf(testStore.store)
      .insertInto('signing_keys')
      .values({
        kid,
        private_jwk: JSON.stringify(privateJwk),
        public_jwk: JSON.stringify({ ...(await exportJWK(pair.publicKey)), ...base }),
        created_at: clock.now(),
        retired_at: null,
      })
      .execute();
    const user = await createUser(testStore.store, clock, { username: 'before-upgrade' });
    const iat = Math.floor(clock.now() / 1000);
    const signedBefore = await new SignJWT({
      username: user.username,
      domain: user.domain,
      context: user.orgId,
      context_name: user.orgId,
      perms: ['csp:org_member'],
      azp: 'principal-mfa-api-token',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
      .setIssuer(DEFAULTS.issuer)
      .setSubject(`${user.domain}:${user.id}`)
      .setIssuedAt(iat)
      .setExpirationTime(iat + DEFAULTS.accessTokenTtlSeconds)
      .setJti(randomUUID())
      .sign(pair.privateKey);

    const server = await startTestServer({ masterKey, clock, databaseUrl: testStore.url });
    try {
      const row = await kyselyOf(server.services.store).selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirstOrThrow();
      assert.match(row.private_jwk, /^v1\./, 'sealed on start');
      assert.equal(openPrivateJwk(masterKey, row).d, privateJwk.d);
      for (const bytes of await storedBytes(testStore.url, server.services.store))
        assert.equal(bytes.indexOf(privateJwk.d!), -1, 'the old plaintext is gone from the file');
      assert.equal((await server.call(STATUS, { token: signedBefore })).status, 200, 'a token signed before the upgrade still verifies');
      const { accessToken } = await server.accessTokenFor();
      assert.equal((await server.call(STATUS, { token: accessToken })).status, 200);
    } finally {
      await server.close();
      await testStore.dispose();
    }
  });

  it('finding 8.1: deletes the private half of a key at rotation, and its public half still verifies its tokens', async () => {
    const masterKey = randomBytes(32);
    const clock = new TestClock();
    const server = await startTestServer({ masterKey, clock });
    try {
      const before = await server.accessTokenFor();
      const { kid: oldKid } = await server.services.keys.signingKey();
      const oldRow = await kyselyOf(server.services.store).selectFrom('signing_keys').selectAll().where('kid', '=', oldKid).executeTakeFirstOrThrow();
      const d = openPrivateJwk(masterKey, oldRow).d!;
      clock.advance(1_000);
      await rotateSigningKey(server.services.store, clock, masterKey);
      const retired = await kyselyOf(server.services.store).selectFrom('signing_keys').selectAll().where('kid', '=', oldKid).executeTakeFirstOrThrow();
      assert.equal(retired.private_jwk, '', 'no private half of a retired key in the store');
      assert.notEqual(retired.retired_at, null);
      for (const bytes of await storedBytes(server.testStore.url, server.services.store)) assert.equal(bytes.indexOf(d), -1);
      assert.equal((await server.call(STATUS, { token: before.accessToken })).status, 200);
    } finally {
      await server.close();
    }
  });

  it('finding 8.1: refuses to start when the master key cannot open the stored signing key', async () => {
    const server = await startTestServer({ masterKey: randomBytes(32) });
    try {
      await assert.rejects(
        createServices({ ...DEFAULTS, databaseUrl: server.testStore.url }, { store: server.services.store, masterKey: randomBytes(32) }),
        /cannot be opened with this master key/,
      );
    } finally {
      await server.close();
    }
  });
});
