// The Store: what feature code sees of the database. Repositories and transactions, no driver.
import type { AuditLogQueries } from './audit-log.js';
import type { StoreKind } from './driver.js';
import type { Repositories } from './repositories/index.js';

export type { StoreKind } from './driver.js';

/**
 * The store's own repositories read and write outside any transaction; a change and its audit event go
 * through `transaction`, whose repositories commit together or not at all.
 */
export interface Store extends Repositories {
  readonly kind: StoreKind;
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Runs `work` so that the bytes of rows it changes or deletes do not survive in a copy of the database (SQLite); as is elsewhere. */
  eraseFreedPages<T>(work: () => Promise<T>): Promise<T>;
  /** The audit log's slow reads and purge batches, off the event loop (on a SQLite file, a worker thread of their own). */
  openAuditLogQueries(): AuditLogQueries;
  /** Rejects when the database does not answer a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
