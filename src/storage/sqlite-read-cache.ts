// Hot-row cache for the SQLite reader connection that can never serve a stale row: every read first asks
// whether any connection (the writer, the admin CLI, another server process) has committed since the last
// read, and a commit empties the cache. So a disable or delete by the CLI still wins on the very next
// request, while a read-mostly store answers from memory instead of walking a large B-tree for every request.
import type BetterSqlite3 from 'better-sqlite3';
import type { ChangeWatch } from './sqlite-change-watch.js';

const MAX_ENTRIES = 100_000;

/**
 * The slower way to ask (sqlite-change-watch.ts has the fast one): `PRAGMA data_version` changes whenever
 * another connection has committed. For a file without a WAL index to read.
 */
export function dataVersionWatch(reader: BetterSqlite3.Database): ChangeWatch {
  const versionStatement = reader.prepare('PRAGMA data_version').pluck();
  let version: unknown;
  return {
    changed() {
      const current = versionStatement.get();
      if (current === version) return false;
      version = current;
      return true;
    },
    close() {},
  };
}

/**
 * A read by key through the cache: one freshness check per call, so a request that needs several rows
 * should fetch them with one call (one statement) rather than one call per row. `load` runs on a miss; no
 * closure or key string is built per call.
 */
export function createVersionedCache<T>(watch: ChangeWatch, load: (key: string) => T): (key: string) => T {
  const rows = new Map<string, T>();
  return (key) => {
    if (watch.changed()) rows.clear();
    if (rows.has(key)) return rows.get(key) as T;
    const row = load(key);
    if (rows.size >= MAX_ENTRIES) rows.delete(rows.keys().next().value as string);
    rows.set(key, row);
    return row;
  };
}
