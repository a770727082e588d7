// What one SQLite write commit costs the event loop: 1,000 single-row UPDATEs (each its own commit) in WAL
// mode with synchronous = FULL (the server's writer, docs/reliability.md) and NORMAL, alternating. Wall
// time is what the event loop waits (better-sqlite3 commits on the calling thread); CPU is the process's.
// Run: node --import tsx bench/commit-cost.ts [DIR]   (DIR: a folder on the disk the store will live on; default .bench)
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { fmt } from './measure.js';

const dir = resolve(process.argv[2] ?? '.bench');
mkdirSync(dir, { recursive: true });
const file = join(dir, 'commit-cost.db');
const COMMITS = 1000;
const db = new BetterSqlite3(file);
try {
  db.pragma('journal_mode = WAL');
  db.exec('create table if not exists t (k integer primary key, v integer not null)');
  db.transaction(() => {
    for (let k = 0; k < COMMITS; k++) db.prepare('insert or replace into t values (?, 0)').run(k);
  })();
  const update = db.prepare('update t set v = v + 1 where k = ?');
  for (const mode of ['FULL', 'NORMAL', 'FULL', 'NORMAL']) {
    db.pragma(`synchronous = ${mode}`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let k = 0; k < COMMITS; k++) update.run(k);
    const wallUs = ((performance.now() - t0) * 1000) / COMMITS;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(
      `synchronous = ${mode.padEnd(6)} ${fmt(wallUs).padStart(6)} µs wall per commit, ${fmt((cpu.user + cpu.system) / COMMITS).padStart(4)} µs CPU\n`,
    );
  }
} finally {
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}
