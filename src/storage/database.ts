// Opens the store named by a database URL and brings its schema up to date.
// SQLite (one file, the default) and PostgreSQL share every query through Kysely.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Pool as PgPool } from 'pg';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { migrateToLatest } from './migrate.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface Store {
  readonly kind: StoreKind;
  readonly db: Kysely<Database>;
  /** The raw SQLite handle Kysely writes through (SQLite only): bulk loaders use it directly. */
  readonly sqlite?: BetterSqlite3.Database;
  /**
   * A second, read-only SQLite connection (SQLite files only) for the hot reads of every MFA request,
   * through cached prepared statements: Kysely re-prepares each query, which costs more than the read.
   * A connection of its own, so that it never sees another request's uncommitted transaction on the
   * writer connection and never waits behind Kysely's one-connection mutex (WAL lets it read meanwhile).
   */
  readonly sqliteReader?: BetterSqlite3.Database;
  /**
   * The PostgreSQL pool under Kysely (PostgreSQL only). The hot reads run as named prepared
   * statements on it: parsed and planned once per connection instead of on every request.
   */
  readonly pgPool?: PgPool;
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
  return path !== undefined && !isInMemory(path) ? withReader(store, path) : store;
}

const isInMemory = (path: string) => path === ':memory:' || path === '';

/** Opened after the migrations, because a read-only connection cannot create the file or its tables. */
function withReader(store: Store, path: string): Store {
  const reader = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  // Map the file instead of copying pages through SQLite's small default cache: the users table of a
  // large store is read at random on every request.
  reader.pragma('mmap_size = 1073741824');
  return {
    ...store,
    sqliteReader: reader,
    async close() {
      reader.close();
      await store.close();
    },
  };
}

/**
 * The store holds password hashes, API-token hashes and sealed secrets: folders we create are 0700 and
 * the database file 0600, whatever the umask (SQLite gives its WAL and SHM files the database file's
 * mode). A database, WAL or SHM file left readable by an earlier version is tightened; a folder that
 * already existed (/var/lib, /tmp) is left as it is.
 */
function prepareSqliteFiles(path: string): void {
  const folder = dirname(resolve(path));
  const firstCreated = mkdirSync(folder, { recursive: true, mode: 0o700 });
  if (firstCreated !== undefined) {
    // mkdir's mode is filtered by the umask: set it on every folder created here, from the first one down.
    let created = firstCreated;
    chmodSync(created, 0o700);
    for (const part of relative(firstCreated, folder).split(sep).filter(Boolean)) {
      created = join(created, part);
      chmodSync(created, 0o700);
    }
  }
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) restrictToOwner(file);
}

function restrictToOwner(file: string): void {
  if (!existsSync(file)) return;
  try {
    chmodSync(file, 0o600);
  } catch (error) {
    // A file owned by another account (a deliberate, shared set-up) is left to its owner.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}

function openSqlite(path: string): Store {
  const inMemory = isInMemory(path);
  if (!inMemory) prepareSqliteFiles(path);
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
