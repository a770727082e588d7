// The SQLite store on disk: a data folder only its owner can enter, and database, WAL and SHM files only
// its owner can read, whatever the umask of the process that creates them.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/storage/database.js';
import { kyselyOf } from '../../src/storage/internal.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Runs `work` with the process umask set to `mask` (the tests of this file run one after the other). */
async function withUmask<T>(mask: number, work: () => Promise<T>): Promise<T> {
  const previous = process.umask(mask);
  try {
    return await work();
  } finally {
    process.umask(previous);
  }
}

describe('SQLite file modes', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pmfa-modes-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const mask of [0o022, 0o000]) {
    it(`finding 8.1: creates the data folder 0700 and the database, WAL and SHM files 0600 under umask ${mask.toString(8).padStart(3, '0')}`, async () => {
      const folder = join(dir, `umask-${mask.toString(8)}`, 'data');
      const file = join(folder, 'principal-mfa.db');
      const store = await withUmask(mask, () => openStore(`sqlite:${file}`));
      try {
        // A write, so that the WAL holds frames and the shared-memory index exists.
        await kyselyOf(store)
          .insertInto('users')
          .values({ id: 'u1', username: 'mode-check', domain: 'local', org_id: 'o', password_hash: null, enabled: 1, created_at: 1 })
          .execute();
        assert.equal(modeOf(folder), 0o700, 'data folder');
        assert.equal(modeOf(join(dir, `umask-${mask.toString(8)}`)), 0o700, 'a parent folder the store created');
        for (const path of [file, `${file}-wal`, `${file}-shm`]) {
          assert.ok(existsSync(path), path);
          assert.equal(modeOf(path), 0o600, path);
        }
      } finally {
        await store.close();
      }
    });
  }

  it('finding 8.1: takes group and other access away from a database an earlier version left readable', async () => {
    const folder = join(dir, 'earlier');
    const file = join(folder, 'principal-mfa.db');
    const first = await openStore(`sqlite:${file}`);
    await first.close();
    chmodSync(file, 0o644);
    writeFileSync(`${file}-wal`, '', { mode: 0o644 });
    chmodSync(`${file}-wal`, 0o644);
    const store = await openStore(`sqlite:${file}`);
    try {
      assert.equal(modeOf(file), 0o600);
      assert.equal(modeOf(`${file}-wal`), 0o600);
      assert.equal(modeOf(`${file}-shm`), 0o600);
    } finally {
      await store.close();
    }
  });

  it('leaves the mode of a folder that already existed alone', async () => {
    const shared = join(dir, 'shared');
    rmSync(shared, { recursive: true, force: true });
    mkdirSync(shared, { mode: 0o755 });
    chmodSync(shared, 0o755);
    const store = await openStore(`sqlite:${join(shared, 'principal-mfa.db')}`);
    await store.close();
    assert.equal(modeOf(shared), 0o755, 'a folder such as /tmp or /var/lib must not be changed');
  });
});
