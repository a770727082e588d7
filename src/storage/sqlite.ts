// SQLite store (one file, the default): better-sqlite3 behind Kysely, a read-only connection for the hot
// reads, worker threads for slow statements and WAL checkpoints, and the file modes a store of secrets needs.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type SqliteDatabase } from 'kysely';
import type { Driver } from './driver.js';
import { createKyselyQueryRunner } from './query-runner.js';
import type { Database } from './schema.js';
import { DurableAutocommitPlugin, GroupSync } from './sqlite-group-sync.js';
import { type ChangeWatch, openWalIndexWatch } from './sqlite-change-watch.js';
import { createSqliteHotReads } from './sqlite-hot-reads.js';
import { dataVersionWatch } from './sqlite-read-cache.js';
import { BackgroundCheckpointer } from './sqlite-checkpointer.js';
import { LockWaitingSqliteDialect } from './sqlite-lock-wait.js';
import { SqliteWorkerRunner } from './sqlite-worker.js';

/** Path of the SQLite file named by a `sqlite:` URL, or undefined for other stores. */
export function sqlitePath(url: string): string | undefined {
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length).replace(/^\/\//, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined;
  return url; // a bare path means a SQLite file
}

const isInMemory = (path: string) => path === ':memory:' || path === '';

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

/** Opened after the migrations, because a read-only connection cannot create the file or its tables. */
function openReader(path: string): BetterSqlite3.Database {
  const reader = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  // Map the file instead of copying pages through SQLite's small default cache: the users table of a
  // large store is read at random on every request.
  reader.pragma('mmap_size = 1073741824');
  return reader;
}

/**
 * SQLite keeps the bytes of an updated or deleted row in the page's free space and older page images in
 * the WAL: zero freed space while `work` runs, then fold the WAL into the file and truncate it, so that
 * a copy of the file holds no secret that the store no longer has. Best effort for the WAL (a reader in
 * another process may hold it).
 */
async function eraseFreedPages<T>(sqlite: BetterSqlite3.Database, work: () => Promise<T>): Promise<T> {
  const previous = Number(sqlite.pragma('secure_delete', { simple: true }));
  sqlite.pragma('secure_delete = ON');
  try {
    return await work();
  } finally {
    sqlite.pragma(`secure_delete = ${previous}`);
    // A truncating checkpoint waits for readers of other processes to move on (up to 5 s, as it always has):
    // rare (an erasing admin action), and worth it to leave no freed secret in the WAL.
    sqlite.pragma('busy_timeout = 5000');
    try {
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another transaction of this process holds the connection: SQLite folds the WAL in on a later checkpoint.
    } finally {
      sqlite.pragma('busy_timeout = 0');
    }
  }
}

/** Statements kept per connection; the application's queries are a few hundred shapes at most. */
const STATEMENT_CACHE_SIZE = 512;

/**
 * Kysely asks for a new prepared statement for every query (better-sqlite3 compiles it again: 4–6 % of an
 * exchange's event-loop time). Reuse them by SQL text. Not for iteration (streamed reports): an iterating
 * statement stays busy across awaits, so each stream gets a statement of its own.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      const cached = statement;
      return {
        reader: cached.reader,
        all: (parameters) => cached.all(parameters),
        run: (parameters) => cached.run(parameters),
        iterate: (parameters) => sqlite.prepare(sql).iterate(parameters),
      };
    },
  };
}

export function openSqlite(path: string): Driver {
  const inMemory = isInMemory(path);
  if (!inMemory) prepareSqliteFiles(path);
  const sqlite = new BetterSqlite3(inMemory ? ':memory:' : path);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL plus our own group commit, which keeps FULL's promise (an answered write survives a power loss)
  // without an fsync on the event loop per commit: sqlite-group-sync.ts; docs/reliability.md has the reasoning.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // Several processes (servers, the admin CLI) share the file and wait for each other's write lock, but not
  // inside the call, which would stall the event loop: sqlite-lock-wait.ts waits on timers instead.
  sqlite.pragma('busy_timeout = 0');
  // An in-memory database has nothing to make durable.
  const groupSync = inMemory ? undefined : new GroupSync(`${path}-wal`, path);
  // Checkpoints on a worker thread, not inside a COMMIT on the event loop (sqlite-checkpointer.ts).
  const checkpointRunner = inMemory ? undefined : new SqliteWorkerRunner(path);
  const checkpointer = checkpointRunner && new BackgroundCheckpointer(() => checkpointRunner.checkpoint());
  if (checkpointer) sqlite.pragma('wal_autocheckpoint = 0');
  const db = new Kysely<Database>({
    dialect: new LockWaitingSqliteDialect(
      { database: withStatementCache(sqlite) },
      { state: sqlite, onCommit: () => checkpointer?.noteCommit(), durability: groupSync },
    ),
    plugins: groupSync ? [new DurableAutocommitPlugin(sqlite, groupSync)] : [],
  });
  let reader: BetterSqlite3.Database | undefined;
  let changeWatch: ChangeWatch | undefined;
  return {
    kind: 'sqlite',
    db,
    sqlite,
    groupSync,
    afterCommit: groupSync
      ? () => {
          groupSync.noteCommit();
          return groupSync.durable();
        }
      : undefined,
    openHotReads() {
      if (inMemory) return undefined; // a second connection cannot see an in-memory database
      reader = openReader(path);
      // The writer has the file in WAL mode since the migrations, so its `-shm` index exists to be watched.
      changeWatch = openWalIndexWatch(path) ?? dataVersionWatch(reader);
      return createSqliteHotReads(reader, changeWatch);
    },
    eraseFreedPages: (work) => eraseFreedPages(sqlite, work),
    openQueryRunner: () => (inMemory ? createKyselyQueryRunner(db) : new SqliteWorkerRunner(sqlite.name)),
    checkpointer,
    async close() {
      await checkpointer?.close();
      await checkpointRunner?.close();
      reader?.close();
      await db.destroy();
      await groupSync?.close();
      // Last: closing its descriptor of the `-shm` would drop the locks of connections still open (sqlite-change-watch.ts).
      changeWatch?.close();
    },
  };
}
