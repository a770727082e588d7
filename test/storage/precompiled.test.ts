// Queries compiled once per handle (src/storage/precompiled.ts): each run gets its own values, on the store
// and in a transaction, a write still waits for SQLite's group commit, and a slot that is not a parameter
// is refused at the first run. On the store under test (SQLite, or PostgreSQL when configured).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser } from '../../src/principals/users.js';
import { groupSyncOf, kyselyOf } from '../../src/storage/internal.js';
import { precompiled } from '../../src/storage/precompiled.js';
import { TestClock } from '../support/server.js';
import { createTestStore, type TestStore } from '../support/store.js';

const usernameOf = precompiled(1, (db, id) => db.selectFrom('users').select('username').where('id', '=', id));
const setEnabled = precompiled(2, (db, enabled, id) => db.updateTable('users').set({ enabled }).where('id', '=', id));

describe('precompiled queries', () => {
  let t: TestStore;
  const ids: string[] = [];
  before(async () => {
    t = await createTestStore();
    const clock = new TestClock(Date.UTC(2026, 11, 1));
    for (const username of ['first-user', 'second-user', 'third-user']) ids.push((await createUser(t.store, clock, { username })).id);
  });
  after(() => t.dispose());

  it('reads each run with its own value, on the store and on a transaction handle', async () => {
    const db = kyselyOf(t.store);
    for (const [i, username] of ['first-user', 'second-user', 'third-user'].entries()) {
      assert.deepEqual((await usernameOf(db, ids[i])).rows, [{ username }]);
    }
    assert.deepEqual((await usernameOf(db, 'no-such-id')).rows, []);
    await db.transaction().execute(async (trx) => {
      assert.deepEqual((await usernameOf(trx, ids[1])).rows, [{ username: 'second-user' }]);
    });
  });

  it('writes the row it is given, and a write outside a transaction is answered only once it is on disk (SQLite)', async () => {
    const db = kyselyOf(t.store);
    const group = groupSyncOf(t.store);
    const syncsBefore = group?.syncs ?? 0;
    await setEnabled(db, 0, ids[0]); // stored as 0 or 1 on both stores
    await setEnabled(db, 1, ids[2]);
    assert.equal((await t.store.principals.findById(ids[0] as string))?.enabled, false);
    assert.equal((await t.store.principals.findById(ids[1] as string))?.enabled, true);
    assert.equal((await t.store.principals.findById(ids[2] as string))?.enabled, true);
    if (group) {
      assert.equal(group.pending, 0, 'both commits covered by an fsync before they were answered');
      assert.ok(group.syncs > syncsBefore);
    }
  });

  it('refuses a slot the SQL does not carry as a parameter, and a run with the wrong number of values', async () => {
    const db = kyselyOf(t.store);
    const lost = precompiled(2, (db2, id) => db2.selectFrom('users').select('username').where('id', '=', id));
    await assert.rejects(async () => lost(db, ids[0], 'unused'), /argument 1 is not a parameter/);
    await assert.rejects(async () => usernameOf(db, ids[0], 'extra'), /2 arguments for 1 slots/);
  });
});
