// PostgreSQL's hot reads (pg submittables, columns by position) on a real server: they answer exactly what the
// plain Kysely reads answer, and a failed read (a server error, a row that cannot be mapped, a name reused for
// another statement) rejects without leaving its pooled connection unusable.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { createUser } from '../../src/principals/users.js';
import { type HotStatement, readHotRow } from '../../src/storage/postgres-hot-read.js';
import { createPrincipalsRepository } from '../../src/storage/repositories/principals.js';
import { createDevicesRepository } from '../../src/storage/repositories/devices.js';
import type { Database } from '../../src/storage/schema.js';
import { sharedServerUrls } from '../support/infra.js';
import { createPostgresTestDatabase } from '../support/postgres.js';
import type { TestStore } from '../support/store.js';

describe('PostgreSQL hot reads', { concurrency: false }, () => {
  let testStore: TestStore;
  /** One connection only: a read that broke its connection would break the next one. */
  let pool: pg.Pool;
  /** Kysely on a pool of its own: the repositories' plain reads, without the driver's hot reads. */
  let db: Kysely<Database>;
  before(async () => {
    const server = process.env.PRINCIPAL_MFA_TEST_DATABASE_URL?.startsWith('postgres')
      ? process.env.PRINCIPAL_MFA_TEST_DATABASE_URL
      : sharedServerUrls().postgres;
    testStore = await createPostgresTestDatabase(server);
    pool = new pg.Pool({ connectionString: testStore.url, max: 1 });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: testStore.url, max: 1 }) }) });
  });
  after(async () => {
    await pool.end();
    await db.destroy();
    await testStore.dispose();
  });

  /** The repositories' reads without the driver's hot reads: Kysely's statements and pg's own result rows. */
  const plain = () => ({ principals: createPrincipalsRepository(db), devices: createDevicesRepository(db) });

  it('answers every column as the plain reads do: local and outside users, devices pending and activated, passkeys', async () => {
    const { store } = testStore;
    const local = await createUser(store, systemClock, { username: 'hot-local' });
    await store.principals.insert({
      id: '00000000-0000-4000-8000-0000000000aa',
      username: 'hot-outside',
      domain: 'example.org',
      orgId: 'org-2',
      passwordHash: null,
      issuer: 'https://issuer.example',
      subject: 'sub-1',
      createdAt: 5,
    });
    await store.principals.setEnabled('00000000-0000-4000-8000-0000000000aa', false);
    await store.devices.upsertPending({
      userId: local.id,
      deviceName: 'phone',
      secretCiphertext: 'x',
      algorithm: 'SHA1',
      digits: 6,
      periodSeconds: 30,
      createdAt: 1,
    });
    const compare = async (id: string) => {
      assert.deepEqual(await store.principals.findById(id), await plain().principals.findById(id));
      assert.deepEqual(await store.principals.findByIdWithMfaState(id), await plain().principals.findByIdWithMfaState(id));
      assert.deepEqual(await store.devices.findState(id), await plain().devices.findState(id));
    };
    await compare(local.id);
    await compare('00000000-0000-4000-8000-0000000000aa');
    assert.equal(await store.principals.findByIdWithMfaState('00000000-0000-4000-8000-0000000000ff'), undefined);
    assert.equal(await store.devices.findState('00000000-0000-4000-8000-0000000000ff'), undefined);

    assert.equal(await store.devices.claimTimeStep({ userId: local.id, secretCiphertext: 'x' }, 7, 1_767_225_600_000), true);
    await store.webauthnCredentials.insert({
      id: '00000000-0000-4000-8000-000000000001',
      userId: local.id,
      name: 'laptop',
      credentialId: 'cred-1',
      publicKey: 'pk',
      signCount: 0,
      transports: [],
      aaguid: '00000000-0000-0000-0000-000000000000',
      backupEligible: false,
      backedUp: false,
      userVerified: true,
      createdAt: 2,
      lastUsedAt: null,
    });
    await compare(local.id);
    const state = await store.principals.findByIdWithMfaState(local.id);
    assert.deepEqual(state?.device, { deviceName: 'phone', activatedAt: 1_767_225_600_000, turnedOn: true });
    assert.equal(state?.firstPasskeyName, 'laptop');
  });

  it('rejects a read the server refuses, and the connection answers the next read', async () => {
    const failing: HotStatement<string> = { name: 'test:divide-by-zero', text: 'select 1 / $1::int', toRow: (v) => String(v[0]) };
    await assert.rejects(readHotRow(pool, failing, ['0']), /division by zero/);
    assert.equal(await readHotRow(pool, failing, ['1']), '1');
  });

  it('rejects a row its mapper cannot take, once the server is done with the query, and the connection answers the next read', async () => {
    const picky: HotStatement<number> = {
      name: 'test:picky',
      text: 'select $1::text',
      toRow: ([value]) => {
        if (value !== 'ok') throw new Error(`unexpected ${value}`);
        return 1;
      },
    };
    await assert.rejects(readHotRow(pool, picky, ['bad']), /unexpected bad/);
    assert.equal(await readHotRow(pool, picky, ['ok']), 1);
  });

  it('refuses a statement name already used for another statement on the connection', async () => {
    const first: HotStatement<string | null> = { name: 'test:named', text: 'select $1::text', toRow: (v) => v[0] ?? null };
    assert.equal(await readHotRow(pool, first, ['a']), 'a');
    await assert.rejects(readHotRow(pool, { ...first, text: 'select upper($1::text)' }, ['a']), /Prepared statements must be unique/);
    assert.equal(await readHotRow(pool, first, ['b']), 'b');
  });

  it('answers undefined when there is no row, and maps SQL NULL to null', async () => {
    const none: HotStatement<(string | null)[]> = { name: 'test:none', text: 'select $1::text where false', toRow: (v) => v };
    assert.equal(await readHotRow(pool, none, ['a']), undefined);
    const nulls: HotStatement<(string | null)[]> = { name: 'test:nulls', text: 'select null::text, $1::text', toRow: (v) => [...v] };
    assert.deepEqual(await readHotRow(pool, nulls, ['a']), [null, 'a']);
  });
});
