// Opens the store named by a database URL and brings its schema up to date.
// SQLite (one file, the default) and PostgreSQL share every query through Kysely; each driver adds its fast paths.
import { sql } from 'kysely';
import { createAuditLogQueries } from './audit-log.js';
import type { Driver } from './driver.js';
import { attachDriver } from './internal.js';
import { migrateToLatest } from './migrate.js';
import { createRepositories } from './repositories/index.js';
import { openSqlite, sqlitePath } from './sqlite.js';
import type { Store } from './store.js';

export type { Store, StoreKind } from './store.js';
export { sqlitePath } from './sqlite.js';

export async function openStore(url: string): Promise<Store> {
  const path = sqlitePath(url);
  let driver: Driver;
  if (path !== undefined) driver = openSqlite(path);
  else if (/^postgres(ql)?:\/\//i.test(url))
    driver = await (await import('./postgres.js')).openPostgres(url); // pg is loaded only when used
  else throw new Error(`Unsupported database URL scheme (use sqlite:PATH or postgres://...)`);
  try {
    await migrateToLatest(driver.db);
    return createStore(driver);
  } catch (error) {
    await driver.close();
    throw error;
  }
}

function createStore(driver: Driver): Store {
  const { db } = driver;
  const afterCommit = driver.afterCommit?.bind(driver);
  const store: Store = {
    kind: driver.kind,
    // The driver's hot reads are chosen here, once; a transaction's repositories read through Kysely.
    ...createRepositories(db, driver.openHotReads()),
    transaction: async (work) => {
      const result = await db.transaction().execute((trx) => work(createRepositories(trx)));
      await afterCommit?.(); // SQLite: answered only once durable
      return result;
    },
    eraseFreedPages: (work) => driver.eraseFreedPages(work),
    openAuditLogQueries: () => createAuditLogQueries(db, driver.openQueryRunner()),
    async ping() {
      await sql`select 1`.execute(db);
    },
    close: () => driver.close(),
  };
  attachDriver(store, driver);
  return store;
}
