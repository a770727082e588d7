// SQLite group commit (src/storage/sqlite-group-sync.ts): a write is reported done only after an fsync that
// started after its commit, and commits that land while one fsync runs share the next one.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/storage/database.js';
import { groupSyncOf, sqliteOf } from '../../src/storage/internal.js';
import { createFileSyncer, GroupSync } from '../../src/storage/sqlite-group-sync.js';
import { createUser } from '../../src/principals/users.js';
import { TestClock } from '../support/server.js';
import { tracked } from '../support/tracked.js';

/** A file sync the test finishes by hand, recording which paths were synced. */
function manualSync() {
  const calls: { path: string; finish: () => void; fail: (e: Error) => void }[] = [];
  const sync = (path: string) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ path, finish: resolve, fail: reject });
    });
  return { calls, sync };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('GroupSync', () => {
  it('does not sync when nothing was committed', async () => {
    const { calls, sync } = manualSync();
    await new GroupSync('db-wal', 'db', sync).durable();
    assert.equal(calls.length, 0);
  });

  it('reports a commit durable only after the fsync that covers it has finished', async () => {
    const { calls, sync } = manualSync();
    const group = new GroupSync('db-wal', 'db', sync);
    group.noteCommit();
    const first = tracked(group.durable());
    await settle();
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.path, 'db-wal');
    assert.equal(first.done, false, 'not done while the fsync runs');

    // Two commits land while that fsync runs: it may have started before them, so they need the next one.
    group.noteCommit();
    const second = tracked(group.durable());
    group.noteCommit();
    const third = tracked(group.durable());
    calls[0]!.finish();
    await settle();
    assert.equal(first.done, true);
    assert.equal(second.done || third.done, false, 'not covered by an fsync that may have started before their commit');
    assert.equal(calls.length, 2, 'one more fsync for both');
    calls[1]!.finish();
    await settle();
    assert.equal(second.done && third.done, true);
    assert.equal(group.pending, 0);
    assert.equal(group.syncs, 2);
  });

  it('fails the writes when the fsync fails, and tries again for the next caller', async () => {
    const { calls, sync } = manualSync();
    const group = new GroupSync('db-wal', 'db', sync);
    group.noteCommit();
    const failed = tracked(group.durable());
    await settle();
    calls[0]!.fail(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    await settle();
    assert.match(String(failed.error), /EIO/);
    assert.equal(group.pending, 1, 'not counted as on disk');
    const retried = tracked(group.durable());
    await settle();
    calls[1]!.finish();
    await settle();
    assert.equal(retried.done, true);
  });

  it('syncs the database file when the WAL file is gone (everything was checkpointed into it)', async () => {
    const synced: string[] = [];
    const group = new GroupSync('db-wal', 'db', async (path) => {
      synced.push(path);
      if (path === 'db-wal') throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    });
    group.noteCommit();
    await group.durable();
    assert.deepEqual(synced, ['db-wal', 'db']);
  });
});

/** What this process's open descriptors name (Linux /proc): a replaced file shows as "PATH (deleted)". */
function descriptorsNaming(path: string): string[] {
  const names: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(path)) names.push(target);
    } catch {
      // the descriptor readdir itself used, closed by now
    }
  }
  return names;
}

describe('the file syncer', () => {
  it('keeps one descriptor open, follows a file replaced at its path, fails on a missing one and lets go on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmfa-syncer-'));
    const path = join(dir, 'db-wal');
    const syncer = createFileSyncer();
    try {
      writeFileSync(path, 'first');
      await syncer.sync(path);
      await syncer.sync(path);
      assert.deepEqual(descriptorsNaming(path), [path], 'one descriptor, kept between syncs');
      // SQLite deletes the WAL when its last connection closes; the next writer makes a new file there.
      writeFileSync(`${path}.new`, 'second');
      renameSync(`${path}.new`, path);
      await syncer.sync(path);
      assert.deepEqual(descriptorsNaming(path), [path], 'the old file let go, the new one held');
      rmSync(path);
      await assert.rejects(syncer.sync(path), { code: 'ENOENT' });
      writeFileSync(path, 'third');
      await syncer.sync(path);
      syncer.close();
      assert.deepEqual(descriptorsNaming(path), []);
    } finally {
      syncer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite store with group commit', () => {
  it('answers a transaction and an autocommit write only once an fsync covered them; the writer runs synchronous=NORMAL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmfa-group-commit-'));
    const store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    try {
      assert.equal(sqliteOf(store)!.pragma('synchronous', { simple: true }), 1, 'NORMAL: the fsync is ours');
      const group = groupSyncOf(store)!;
      const clock = new TestClock(Date.UTC(2026, 11, 1));

      const before = group.syncs;
      const user = await createUser(store, clock, { username: 'durable-user' }); // its own transaction(s)
      assert.equal(group.pending, 0);
      assert.ok(group.syncs > before);

      const beforeAutocommit = group.syncs;
      await store.principals.setEnabled(user.id, false); // a write outside any transaction
      assert.equal(group.pending, 0);
      assert.ok(group.syncs > beforeAutocommit);

      // A read does not sync.
      const beforeRead = group.syncs;
      assert.equal((await store.principals.findById(user.id))?.enabled, false);
      assert.equal(group.syncs, beforeRead);

      // Many autocommit writes at once share fsyncs: the wait for the disk comes after the connection is
      // released, so the others commit meanwhile (waiting while holding it cost one fsync per write).
      const beforeConcurrent = group.syncs;
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.principals.setEnabled(user.id, i % 2 === 0)));
      assert.equal(group.pending, 0);
      assert.ok(group.syncs - beforeConcurrent <= 5, `100 concurrent autocommit writes took ${group.syncs - beforeConcurrent} fsyncs`);

      // Many writers at once: each resolves covered; the fsyncs never exceed the commits.
      const beforeMany = group.syncs;
      await Promise.all(Array.from({ length: 40 }, (_, i) => store.transaction((trx) => trx.principals.setEnabled(user.id, i % 2 === 0))));
      assert.equal(group.pending, 0);
      assert.ok(group.syncs - beforeMany <= 40);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
