// Raw handles under a Store, for storage code, tests and the benchmark's bulk loads only: feature code
// goes through the repositories.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Driver } from './driver.js';
import type { Database } from './schema.js';
import type { BackgroundCheckpointer } from './sqlite-checkpointer.js';
import type { GroupSync } from './sqlite-group-sync.js';
import type { Store } from './store.js';

const drivers = new WeakMap<Store, Driver>();

export function attachDriver(store: Store, driver: Driver): void {
  drivers.set(store, driver);
}

function driverOf(store: Store): Driver {
  const driver = drivers.get(store);
  if (!driver) throw new Error('not a store opened by openStore()');
  return driver;
}

/** The Kysely instance every repository of `store` runs on. */
export function kyselyOf(store: Store): Kysely<Database> {
  return driverOf(store).db;
}

/** The better-sqlite3 connection Kysely writes through, or undefined on PostgreSQL. */
export function sqliteOf(store: Store): BetterSqlite3.Database | undefined {
  return driverOf(store).sqlite;
}

/** SQLite's background WAL checkpointer (sqlite-checkpointer.ts), or undefined on PostgreSQL and in memory. */
export function checkpointerOf(store: Store): BackgroundCheckpointer | undefined {
  return driverOf(store).checkpointer;
}

/** SQLite's group commit (sqlite-group-sync.ts), or undefined on PostgreSQL and in memory. */
export function groupSyncOf(store: Store): GroupSync | undefined {
  return driverOf(store).groupSync;
}
