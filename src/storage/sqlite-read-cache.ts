// Hot-row cache for the SQLite reader connection that can never serve a stale row: every read first asks
// SQLite for `PRAGMA data_version`, which changes whenever any other connection (the writer, the admin
// CLI, another server process) has committed a change, and a change empties the cache. So a disable or
// delete by the CLI still wins on the very next request, while a read-mostly store answers from memory
// instead of walking a large B-tree for every request.
import type BetterSqlite3 from 'better-sqlite3';

const MAX_ENTRIES = 100_000;

class VersionedRowCache {
  private readonly rows = new Map<string, unknown>();
  private version: unknown;
  private readonly versionStatement: BetterSqlite3.Statement;

  constructor(reader: BetterSqlite3.Database) {
    this.versionStatement = reader.prepare('PRAGMA data_version').pluck();
  }

  read<T>(key: string, load: () => T): T {
    const version = this.versionStatement.get();
    if (version !== this.version) {
      this.rows.clear();
      this.version = version;
    }
    if (this.rows.has(key)) return this.rows.get(key) as T;
    const row = load();
    if (this.rows.size >= MAX_ENTRIES) this.rows.delete(this.rows.keys().next().value as string);
    this.rows.set(key, row);
    return row;
  }
}

const caches = new WeakMap<BetterSqlite3.Database, VersionedRowCache>();

/** The row for `key` (namespaced by the caller, e.g. `user:<id>`), loaded by `load` when not cached. */
export function readThroughVersionedCache<T>(reader: BetterSqlite3.Database, key: string, load: () => T): T {
  let cache = caches.get(reader);
  if (!cache) caches.set(reader, (cache = new VersionedRowCache(reader)));
  return cache.read(key, load);
}
