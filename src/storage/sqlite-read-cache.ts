// Hot-row cache for the SQLite reader connection that can never serve a stale row: every read first asks
// SQLite for `PRAGMA data_version`, which changes whenever any other connection (the writer, the admin
// CLI, another server process) has committed a change, and a change empties the cache. So a disable or
// delete by the CLI still wins on the very next request, while a read-mostly store answers from memory
// instead of walking a large B-tree for every request.
import type BetterSqlite3 from 'better-sqlite3';

const MAX_ENTRIES = 100_000;

/**
 * A read by key through the cache: one `data_version` check per call, so a request that needs several
 * rows should fetch them with one call (one statement) rather than one call per row. `load` runs on a miss;
 * no closure or key string is built per call.
 */
export function createVersionedCache<T>(reader: BetterSqlite3.Database, load: (key: string) => T): (key: string) => T {
  const versionStatement = reader.prepare('PRAGMA data_version').pluck();
  const rows = new Map<string, T>();
  let version: unknown;
  return (key) => {
    const current = versionStatement.get();
    if (current !== version) {
      rows.clear();
      version = current;
    }
    if (rows.has(key)) return rows.get(key) as T;
    const row = load(key);
    if (rows.size >= MAX_ENTRIES) rows.delete(rows.keys().next().value as string);
    rows.set(key, row);
    return row;
  };
}
