// The store behaves the same on every backend: SQLite by default, PostgreSQL when the test run names one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../../src/storage/database.js';
import { createTestStore, testBackend, type TestStore } from '../support/store.js';
import { kyselyOf } from '../../src/storage/internal.js';

describe(`store (${testBackend()})`, () => {
  let t: TestStore;
  before(async () => {
    t = await createTestStore();
  });
  after(async () => {
    await t.dispose();
  });

  test('opens the backend the test run asked for', () => {
    assert.equal(t.store.kind, testBackend());
  });

  test('reads epoch-millisecond timestamps back as numbers, not strings', async () => {
    const createdAt = 1_767_225_600_123;
    await kyselyOf(t.store)
      .insertInto('users')
      .values({ id: 'u-time', username: 'time', domain: 'local', org_id: 'o', password_hash: null, enabled: 1, created_at: createdAt })
      .execute();
    const row = await kyselyOf(t.store).selectFrom('users').select(['created_at', 'enabled']).where('id', '=', 'u-time').executeTakeFirstOrThrow();
    assert.strictEqual(row.created_at, createdAt);
    assert.strictEqual(row.enabled, 1);
    const { n } = await kyselyOf(t.store)
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.strictEqual(Number(n), 1);
  });

  test('numbers audit events in increasing order without the caller choosing seq', async () => {
    for (const id of ['e1', 'e2', 'e3']) {
      await kyselyOf(t.store)
        .insertInto('audit_events')
        .values({ event_id: id, user_id: 'u', username: 'n', action: 'MFA_ACTIVATION', device_name: null, modified_by: 'n', event_date: Date.now() })
        .execute();
    }
    const rows = await kyselyOf(t.store).selectFrom('audit_events').select(['seq', 'event_id']).orderBy('seq').execute();
    assert.deepEqual(
      rows.map((r) => r.event_id),
      ['e1', 'e2', 'e3'],
    );
    assert.ok(rows.every((r, i) => typeof r.seq === 'number' && (i === 0 || r.seq > rows[i - 1]!.seq)));
  });

  test('rolls back every step of a transaction that fails part-way', async () => {
    await assert.rejects(
      kyselyOf(t.store)
        .transaction()
        .execute(async (trx) => {
          await trx
            .insertInto('users')
            .values({ id: 'u-tx', username: 'tx', domain: 'local', org_id: 'o', password_hash: null, enabled: 1, created_at: 1 })
            .execute();
          // Same (domain, username): the unique constraint fails the second step.
          await trx
            .insertInto('users')
            .values({ id: 'u-tx2', username: 'tx', domain: 'local', org_id: 'o', password_hash: null, enabled: 1, created_at: 1 })
            .execute();
        }),
    );
    const left = await kyselyOf(t.store).selectFrom('users').select('id').where('username', '=', 'tx').execute();
    assert.deepEqual(left, []);
  });

  test('opening an already migrated store again keeps its data', async () => {
    const again = await openStore(t.url);
    try {
      const row = await kyselyOf(again).selectFrom('users').select('id').where('id', '=', 'u-time').executeTakeFirst();
      assert.equal(row?.id, 'u-time');
    } finally {
      await again.close();
    }
  });
});
