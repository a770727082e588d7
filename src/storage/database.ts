// Opens the store named by a database URL and brings its schema up to date.
// SQLite (one file, the default) and PostgreSQL share every query through Kysely.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrateToLatest } from './migrate.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface Store {
  readonly kind: StoreKind;
  readonly db: Kysely<Database>;
  /**
   * The raw SQLite handle, present only for SQLite. Hot read paths use cached prepared
   * statements on it because Kysely re-prepares each query, which costs more than the read.
   */
  readonly sqlite?: BetterSqlite3.Database;
  close(): Promise<void>;
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/principal-mfa.db';

/** Path of the SQLite file named by a `sqlite:` URL, or undefined for other stores. */
export function sqlitePath(url: string): string | undefined {
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length).replace(/^\/\//, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined;
  return url; // a bare path means a SQLite file
}

export async function openStore(url: string = DEFAULT_DATABASE_URL): Promise<Store> {
  let store: Store;
  const path = sqlitePath(url);
  if (path !== undefined) {
    store = openSqlite(path);
  } else if (/^postgres(ql)?:\/\//i.test(url)) {
    const { openPostgres } = await import('./postgres.js');
    store = await openPostgres(url);
  } else {
    throw new Error(`Unsupported database URL scheme (use sqlite:PATH or postgres://...)`);
  }
  try {
    await migrateToLatest(store.db);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function openSqlite(path: string): Store {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new BetterSqlite3(inMemory ? ':memory:' : path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Several processes (servers, the admin CLI) share the file; wait for locks instead of failing.
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    kind: 'sqlite',
    db,
    sqlite,
    async close() {
      await db.destroy();
    },
  };
}
