// Another connection holding SQLite's write lock (a `users import`, the admin CLI) must not stall the
// server's event loop: writes wait for the lock on timers (src/storage/sqlite-lock-wait.ts), then succeed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createUser } from '../../src/principals/users.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { isBusy, retryWhileBusy } from '../../src/storage/sqlite-lock-wait.js';
import { TestClock } from '../support/server.js';
import { tracked } from '../support/tracked.js';

/** Lets timers and I/O callbacks run once: a loop stalled inside a call would not get here. */
const aTurnOfTheLoop = () => new Promise((r) => setTimeout(r, 5));

describe('waiting for the SQLite write lock off the event loop', () => {
  let dir: string;
  let file: string;
  let store: Store;
  let other: BetterSqlite3.Database;
  const clock = new TestClock();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lock-wait-'));
    file = join(dir, 'store.db');
    store = await openStore(`sqlite:${file}`);
    // A second connection, as another process (`users import`) would have; its lock is released by hand.
    other = new BetterSqlite3(file);
  });
  after(async () => {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an autocommit write waits while another connection holds the lock, the loop keeps turning, and it lands once the lock is free', async () => {
    const user = await createUser(store, clock, { username: 'autocommit-user' });
    other.exec('begin immediate');
    const write = tracked(store.principals.setEnabled(user.id, false));
    // Before the change this call held the loop in busy_timeout for 5 s, then failed with SQLITE_BUSY.
    for (let turn = 0; turn < 4; turn++) await aTurnOfTheLoop();
    assert.equal(write.done, false, 'not done while the other connection holds the lock');
    assert.equal(write.error, undefined, 'not failed either: it is waiting');
    other.exec('commit');
    while (!write.done && write.error === undefined) await aTurnOfTheLoop();
    assert.equal(write.error, undefined);
    assert.equal((await store.principals.findById(user.id))?.enabled, false);
  });

  it('a transaction that reads before it writes waits for the lock at BEGIN and then commits (no SQLITE_BUSY halfway)', async () => {
    const user = await createUser(store, clock, { username: 'transaction-user' });
    other.exec('begin immediate');
    // The other connection commits a change while the transaction waits: a transaction that had already
    // read (a deferred BEGIN) could not write after it and would fail with SQLITE_BUSY.
    other.prepare('update users set created_at = created_at + 1 where id = ?').run(user.id);
    const work = tracked(
      store.transaction(async (tx) => {
        const before = await tx.principals.findById(user.id);
        await tx.principals.setEnabled(user.id, !before!.enabled);
      }),
    );
    for (let turn = 0; turn < 4; turn++) await aTurnOfTheLoop();
    assert.equal(work.done, false);
    assert.equal(work.error, undefined);
    other.exec('commit');
    while (!work.done && work.error === undefined) await aTurnOfTheLoop();
    assert.equal(work.error, undefined);
    assert.equal((await store.principals.findById(user.id))?.enabled, false);
  });

  it('a failure inside a transaction rolls it back and releases the lock for the next writer', async () => {
    const user = await createUser(store, clock, { username: 'rollback-user' });
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.principals.setEnabled(user.id, false);
        throw new Error('abandoned');
      }),
      /abandoned/,
    );
    assert.equal((await store.principals.findById(user.id))?.enabled, true);
    other.exec('begin immediate'); // would fail at once if the store's transaction still held the lock
    other.exec('commit');
  });
});

describe('retryWhileBusy', () => {
  const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

  it('tries again after each SQLITE_BUSY, with growing pauses, until the statement goes through', async () => {
    const pauses: number[] = [];
    let tries = 0;
    const result = await retryWhileBusy(
      async () => {
        if (++tries < 6) throw busy();
        return 'written';
      },
      { timeoutMs: 5000, firstPauseMs: 1, maxPauseMs: 8 },
      async (ms) => pauses.push(ms),
    );
    assert.equal(result, 'written');
    assert.deepEqual(pauses, [1, 2, 4, 8, 8]);
  });

  it('gives up with the SQLITE_BUSY once the patience is spent, like busy_timeout', async () => {
    let tries = 0;
    const error = await retryWhileBusy(
      async () => {
        tries++;
        throw busy();
      },
      { timeoutMs: 20, firstPauseMs: 1, maxPauseMs: 4 },
    ).catch((e: unknown) => e);
    assert.ok(isBusy(error));
    assert.ok(tries > 1, 'tried more than once');
  });

  it('does not retry other errors', async () => {
    let tries = 0;
    await assert.rejects(
      retryWhileBusy(async () => {
        tries++;
        throw Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
      }),
      /constraint/,
    );
    assert.equal(tries, 1);
  });
});
