// Migration 003 on a store that already holds data (made by migrations 001 and 002 only): rows, foreign
// keys and cascades survive; a local username stays unique, an outside one need not be; (issuer, sub) is.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { systemClock } from '../../src/clock.js';
import { insertNewUsers } from '../../src/cli/users-import.js';
import { createUser } from '../../src/principals/users.js';
import { openStore, type Store } from '../../src/storage/database.js';
import * as m001 from '../../src/storage/migrations/001-principals-and-tokens.js';
import * as m002 from '../../src/storage/migrations/002-mfa-and-audit.js';
import { openPostgres } from '../../src/storage/postgres.js';
import { createApiToken } from '../../src/tokens/api-tokens.js';
import { createPostgresDatabase } from '../support/postgres.js';
import { testBackend } from '../support/store.js';
import { kyselyOf, sqliteOf } from '../../src/storage/internal.js';

/** An empty database of the test backend, and how to open it with raw Kysely (no migrations run). */
async function emptyDatabase(): Promise<{ url: string; openRaw(): Promise<Kysely<any>>; drop(): Promise<void> }> {
  if (testBackend() === 'postgres') {
    const database = await createPostgresDatabase(process.env.PRINCIPAL_MFA_TEST_DATABASE_URL as string);
    return { url: database.url, openRaw: async () => (await openPostgres(database.url)).db, drop: database.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'pmfa-migration-'));
  const file = join(dir, 'store.db');
  return {
    url: `sqlite:${file}`,
    async openRaw() {
      const sqlite = new BetterSqlite3(file);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('foreign_keys = ON');
      return new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
    },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

describe(`migration 003 over existing data (${testBackend()})`, () => {
  let database: Awaited<ReturnType<typeof emptyDatabase>>;
  let store: Store;
  const now = 1_767_225_600_000;

  before(async () => {
    database = await emptyDatabase();
    const db = await database.openRaw();
    const before003 = new Migrator({ db, provider: { getMigrations: async () => ({ '001-principals-and-tokens': m001, '002-mfa-and-audit': m002 }) } });
    const { error } = await before003.migrateToLatest();
    assert.ifError(error);
    const user = (id: string, username: string, domain: string) => ({ id, username, domain, org_id: 'org', password_hash: null, enabled: 1, created_at: now });
    await db
      .insertInto('users')
      .values([user('u-ann', 'ann', 'local'), user('u-bob', 'bob', 'idp.example')])
      .execute();
    await db
      .insertInto('api_tokens')
      .values({ id: 't-ann', user_id: 'u-ann', token_hash: 'h-ann', created_at: now, expires_at: null, revoked_at: null })
      .execute();
    await db
      .insertInto('mfa_devices')
      .values({
        user_id: 'u-ann',
        device_name: 'phone',
        secret_ciphertext: 'c',
        algorithm: 'SHA1',
        digits: 6,
        period_seconds: 30,
        activated_at: now,
        turned_on: 1,
        last_used_step: null,
        created_at: now,
      })
      .execute();
    await db.destroy();
    store = await openStore(database.url);
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });

  test('keeps every user row, their tokens and devices, with no issuer or subject yet', async () => {
    const rows = await kyselyOf(store).selectFrom('users').selectAll().orderBy('id').execute();
    assert.deepEqual(
      rows.map((r) => [r.id, r.username, r.domain, r.org_id, Number(r.enabled), r.created_at, r.issuer, r.subject]),
      [
        ['u-ann', 'ann', 'local', 'org', 1, now, null, null],
        ['u-bob', 'bob', 'idp.example', 'org', 1, now, null, null],
      ],
    );
    assert.equal((await kyselyOf(store).selectFrom('api_tokens').select('id').where('user_id', '=', 'u-ann').execute()).length, 1);
    if (sqliteOf(store)) assert.equal(sqliteOf(store)!.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are back on');
  });

  test('keeps a local username unique (also for users import) while outside principals may share a name', async () => {
    await assert.rejects(createUser(store, systemClock, { username: 'ann' }));
    assert.equal(
      await insertNewUsers(
        store,
        [
          { username: 'ann', domain: 'local', orgId: 'org', passwordHash: null },
          { username: 'cid', domain: 'local', orgId: 'org', passwordHash: null },
        ],
        now,
      ),
      1,
    );
    const outside = { username: 'dee', domain: 'idp.example/realms/a', issuer: 'https://idp.example/realms/a' };
    await createUser(store, systemClock, { ...outside, subject: 'first' });
    await createUser(store, systemClock, { ...outside, subject: 'second' });
    await assert.rejects(createUser(store, systemClock, { ...outside, username: 'dee2', subject: 'first' }), 'one principal per issuer and subject');
  });

  test("still cascades a user's deletion to its API tokens and device (the foreign keys point at the new table)", async () => {
    await createApiToken(store, systemClock, 'u-ann');
    await kyselyOf(store).deleteFrom('users').where('id', '=', 'u-ann').execute();
    assert.deepEqual(await kyselyOf(store).selectFrom('api_tokens').select('id').where('user_id', '=', 'u-ann').execute(), []);
    assert.deepEqual(await kyselyOf(store).selectFrom('mfa_devices').select('user_id').where('user_id', '=', 'u-ann').execute(), []);
    await assert.rejects(
      kyselyOf(store)
        .insertInto('api_tokens')
        .values({ id: 't-ghost', user_id: 'nobody', token_hash: 'h-ghost', created_at: now, expires_at: null, revoked_at: null })
        .execute(),
    );
  });
});
