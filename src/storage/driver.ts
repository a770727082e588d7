// What one database brings to the store: Kysely for every query, plus its own fast paths. SQLite
// (sqlite.ts) and PostgreSQL (postgres.ts) implement it; database.ts builds the Store over it.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { QueryRunner } from './query-runner.js';
import type { BackgroundCheckpointer } from './sqlite-checkpointer.js';
import type { GroupSync } from './sqlite-group-sync.js';
import type { HotReads } from './repositories/index.js';
import type { Database } from './schema.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface Driver {
  readonly kind: StoreKind;
  readonly db: Kysely<Database>;
  /** The raw SQLite handle Kysely writes through (SQLite only): bulk loaders use it directly. */
  readonly sqlite?: BetterSqlite3.Database;
  /**
   * Called after every committed transaction (SQLite: resolves once the commit is on disk, see
   * sqlite-group-sync.ts); absent where COMMIT itself is durable (PostgreSQL).
   */
  afterCommit?(): Promise<void>;
  /** SQLite's group commit, when the file is on disk (tests count its fsyncs). */
  readonly groupSync?: GroupSync;
  /** SQLite's WAL checkpoints off the event loop, when the file is on disk (tests and the bench read it). */
  readonly checkpointer?: BackgroundCheckpointer;
  /** Called once, after the migrations: the driver's hot reads, or undefined to read through Kysely. */
  openHotReads(): HotReads | undefined;
  /** Runs `work` so that the bytes of rows it updates or deletes do not survive in the database files. */
  eraseFreedPages<T>(work: () => Promise<T>): Promise<T>;
  /** Where slow reads and batch deletes run without holding up requests (see query-runner.ts). */
  openQueryRunner(): QueryRunner;
  close(): Promise<void>;
}
