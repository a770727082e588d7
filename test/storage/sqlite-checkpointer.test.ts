// WAL checkpoints off the event loop (src/storage/sqlite-checkpointer.ts): the writer connection never
// checkpoints inside a COMMIT, and the WAL is still folded into the database file after commits.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createUser } from '../../src/principals/users.js';
import { openStore } from '../../src/storage/database.js';
import { checkpointerOf, kyselyOf, sqliteOf } from '../../src/storage/internal.js';
import { precompiled } from '../../src/storage/precompiled.js';
import { BackgroundCheckpointer, type CheckpointResult } from '../../src/storage/sqlite-checkpointer.js';
import { WORKER_NICE } from '../../src/storage/sqlite-worker.js';
import { TestClock } from '../support/server.js';

const settle = () => new Promise((r) => setImmediate(r));

/** A checkpoint the test finishes by hand. */
function manualCheckpoint() {
  const calls: { finish: (r?: CheckpointResult) => void; fail: (e: Error) => void }[] = [];
  const checkpoint = () =>
    new Promise<CheckpointResult>((resolve, reject) => {
      calls.push({ finish: (r = { busy: 0, log: 1, checkpointed: 1 }) => resolve(r), fail: reject });
    });
  return { calls, checkpoint };
}

describe('BackgroundCheckpointer', () => {
  it('runs one checkpoint for the commits of a moment, after the delay, not inside the commit', async () => {
    const { calls, checkpoint } = manualCheckpoint();
    const checkpointer = new BackgroundCheckpointer(checkpoint, 1);
    for (let i = 0; i < 10; i++) checkpointer.noteCommit();
    assert.equal(calls.length, 0, 'nothing runs inside noteCommit');
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 2));
    calls[0]!.finish();
    await settle();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(calls.length, 1, 'ten commits, one checkpoint');
    assert.equal(checkpointer.checkpoints, 1);
    await checkpointer.close();
  });

  it('runs another checkpoint after one that commits landed during, and keeps going after a failed one', async () => {
    const { calls, checkpoint } = manualCheckpoint();
    const checkpointer = new BackgroundCheckpointer(checkpoint, 1);
    const first = checkpointer.flush();
    checkpointer.noteCommit(); // lands while the first runs: its frames may not have been copied
    calls[0]!.fail(new Error('disk I/O error'));
    await first;
    while (calls.length < 2) await new Promise((r) => setTimeout(r, 2));
    calls[1]!.finish();
    await settle();
    assert.equal(checkpointer.checkpoints, 1, 'the failed one did not count; the next one ran');
    await checkpointer.close();
  });

  it('close waits for the checkpoint in progress and schedules no more', async () => {
    const { calls, checkpoint } = manualCheckpoint();
    const checkpointer = new BackgroundCheckpointer(checkpoint, 1);
    const running = checkpointer.flush();
    let closed = false;
    const closing = checkpointer.close().then(() => (closed = true));
    await settle();
    assert.equal(closed, false, 'not closed while a checkpoint runs');
    calls[0]!.finish();
    await Promise.all([running, closing]);
    checkpointer.noteCommit();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(calls.length, 1);
  });
});

/** The nice value of each thread of this process (Linux keeps one per thread). */
function threadNiceValues(): Map<string, number> {
  const nice = new Map<string, number>();
  for (const task of readdirSync('/proc/self/task')) {
    const fields = readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ');
    nice.set(task, Number(fields[16])); // field 19 of stat(5), counted after the command name
  }
  return nice;
}

describe('the SQLite store checkpoints on a worker thread', () => {
  it("runs its worker threads (checkpoints, audit scans) below the event loop's priority", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-nice-'));
    const store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    try {
      const before = threadNiceValues();
      await checkpointerOf(store)!.flush(); // starts the checkpoint worker
      const queries = store.openAuditLogQueries();
      await queries.countEvents('nobody', { startDate: 0, endDate: 1 }, 10); // starts the audit worker
      const added = [...threadNiceValues()].filter(([task]) => !before.has(task)).map(([, nice]) => nice);
      await queries.close();
      assert.equal(threadNiceValues().get(String(process.pid)), 0, 'the event loop keeps its priority');
      assert.equal(added.filter((nice) => nice === WORKER_NICE).length, 2, `two worker threads at nice ${WORKER_NICE}: ${added.join(', ')}`);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("turns off the writer connection's automatic checkpoint and still folds the WAL into the database file after commits", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
    const file = join(dir, 'store.db');
    const store = await openStore(`sqlite:${file}`);
    try {
      assert.equal(sqliteOf(store)!.pragma('wal_autocheckpoint', { simple: true }), 0, 'no checkpoint inside a COMMIT on the event loop');
      const checkpointer = checkpointerOf(store)!;
      const clock = new TestClock();
      // Enough commits to pass SQLite's default threshold (1,000 pages) several times over.
      for (let i = 0; i < 60; i++) {
        await store.transaction(async (tx) => {
          for (let j = 0; j < 50; j++)
            await tx.principals.insertNewLocal(
              [{ username: `user-${i}-${j}-${'x'.repeat(200)}`, domain: 'local', orgId: 'default', passwordHash: null }],
              clock.now(),
              () => `id-${i}-${j}`,
            );
        });
      }
      await createUser(store, clock, { username: 'after-the-batch' }); // an autocommit write, also noted
      while (checkpointer.checkpoints === 0) await new Promise((r) => setTimeout(r, 20));
      await checkpointer.flush(); // the commits since the last one, too
      const last = checkpointer.last!;
      assert.ok(last.log > 0, 'the WAL had frames');
      assert.equal(last.checkpointed, last.log, 'every frame is in the database file');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts a write that answers with rows (UPDATE … RETURNING, as a consumed authorization code) as a commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
    const store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    try {
      const user = await createUser(store, new TestClock(), { username: 'returning-writer' });
      const checkpointer = checkpointerOf(store)!;
      await checkpointer.flush();
      const before = checkpointer.checkpoints;
      const rename = precompiled(2, (db, username, id) => db.updateTable('users').set({ username }).where('id', '=', id).returning('username'));
      assert.deepEqual((await rename(kyselyOf(store), 'renamed-writer', user.id)).rows, [{ username: 'renamed-writer' }]);
      // Only this write was made since the flush: a checkpoint follows it, or the WAL would grow without end
      // under a load of such writes alone.
      const deadline = Date.now() + 5000;
      while (checkpointer.checkpoints === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(checkpointer.checkpoints > before, 'a checkpoint followed the write');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
