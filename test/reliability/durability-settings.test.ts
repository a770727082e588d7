// The durability settings docs/reliability.md promises: a write that was answered is on disk, also across a
// power loss. SQLite: WAL, synchronous=NORMAL on the writer connection and our group commit, which answers a
// write only after an fsync of the WAL that covers it (test/storage/group-commit.test.ts). PostgreSQL: the server's own
// settings (fsync, synchronous_commit), which the store must not weaken.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { groupSyncOf, kyselyOf, sqliteOf } from '../../src/storage/internal.js';
import { createTestStore, type TestStore } from '../support/store.js';

describe('durability settings of the store', () => {
  let testStore: TestStore;
  before(async () => {
    testStore = await createTestStore();
  });
  after(() => testStore.dispose());

  it("syncs every commit before it is answered: SQLite WAL + group commit; on PostgreSQL the server's synchronous_commit is kept", async () => {
    if (testStore.store.kind === 'sqlite') {
      const sqlite = sqliteOf(testStore.store)!;
      assert.equal(sqlite.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(sqlite.pragma('synchronous', { simple: true }), 1, 'NORMAL (1): the commit fsync is the group commit');
      const group = groupSyncOf(testStore.store);
      assert.ok(group, 'a file store has the group commit');
      await testStore.store.transaction((trx) => trx.principals.setEnabled('no-such-id', true));
      assert.equal(group.pending, 0, 'a committed transaction is on disk when it resolves');
    } else {
      // PostgreSQL's durability is the server's (fsync, synchronous_commit; docs/reliability.md says what to
      // set): the store must not weaken it for its own sessions. The test servers run with fsync off for speed.
      const inStore = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(kyselyOf(testStore.store));
      const client = new pg.Client({ connectionString: testStore.url });
      await client.connect();
      try {
        const plain = await client.query<{ synchronous_commit: string }>('show synchronous_commit');
        assert.equal(inStore.rows[0]!.synchronous_commit, plain.rows[0]!.synchronous_commit);
      } finally {
        await client.end();
      }
    }
  });
});
