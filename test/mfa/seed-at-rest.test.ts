// TOTP seeds are encrypted at rest: the base32 secret (or its raw bytes) never reaches the database file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DEFAULTS } from '../../src/config.js';
import { createServices } from '../../src/services.js';
import { decryptSeed } from '../../src/mfa/seed-crypto.js';
import { base32Decode } from '../../src/mfa/totp.js';
import { sqlitePath } from '../../src/storage/database.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { createTestStore, testBackend } from '../support/store.js';
import { MFA, postJson, stepAlignedMs } from './support.js';
import { kyselyOf } from '../../src/storage/internal.js';

/** The SQLite file and its WAL; on PostgreSQL (no file of ours to read), every stored device row. */
async function storedBytes(server: TestServer): Promise<Buffer[]> {
  if (testBackend() === 'sqlite') {
    const path = sqlitePath(server.testStore.url)!;
    return [path, `${path}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p));
  }
  const rows = await kyselyOf(server.services.store).selectFrom('mfa_devices').selectAll().execute();
  return [Buffer.from(JSON.stringify(rows))];
}

describe('MFA seeds at rest', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  it('stores only AES-GCM ciphertext bound to the user, which decrypts with the master key alone', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    const { body } = await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'p' });
    const row = await kyselyOf(server.services.store).selectFrom('mfa_devices').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    assert.ok(!row.secret_ciphertext.includes(body.secret));
    assert.match(row.secret_ciphertext, /^v1\./);
    assert.deepEqual(decryptSeed(server.services.masterKey!, row.secret_ciphertext, user.id), base32Decode(body.secret));
    assert.throws(() => decryptSeed(Buffer.alloc(32, 7), row.secret_ciphertext, user.id));
    assert.throws(() => decryptSeed(server.services.masterKey!, row.secret_ciphertext, 'another-user'));
  });

  it('never writes the base32 secret or the raw seed into the database file or its WAL', async () => {
    const { accessToken } = await server.accessTokenFor();
    const secrets: string[] = [];
    for (let i = 0; i < 3; i++) secrets.push((await postJson(server, `${MFA}/device`, accessToken, { deviceName: `p${i}` })).body.secret);
    const files = await storedBytes(server);
    assert.ok(files.length >= 1);
    // The scan sees what was written: the stored ciphertext itself is found.
    const stored = await kyselyOf(server.services.store)
      .selectFrom('mfa_devices')
      .select('secret_ciphertext')
      .where('device_name', '=', 'p2')
      .executeTakeFirstOrThrow();
    assert.ok(files.some((bytes) => bytes.includes(stored.secret_ciphertext)));
    for (const secret of secrets) {
      const raw = Buffer.from(base32Decode(secret));
      for (const bytes of files) {
        assert.equal(bytes.indexOf(secret), -1, 'base32 secret in the database file');
        assert.equal(bytes.indexOf(secret.toLowerCase()), -1, 'lower-case base32 secret in the database file');
        assert.equal(bytes.indexOf(raw), -1, 'raw seed bytes in the database file');
      }
    }
  });

  it('finding 8.1: no server runs without a master key: its signing keys and seeds are sealed with it', async () => {
    const testStore = await createTestStore();
    try {
      await assert.rejects(createServices({ ...DEFAULTS, databaseUrl: testStore.url }, { store: testStore.store, clock }), /no master key/);
      assert.equal(await kyselyOf(testStore.store).selectFrom('signing_keys').select('kid').executeTakeFirst(), undefined, 'no key was made without it');
    } finally {
      await testStore.dispose();
    }
  });
});
