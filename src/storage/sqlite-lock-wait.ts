// Waiting for SQLite's write lock without stalling the event loop. Several processes write to one file (the
// server, `users import`, the admin CLI). SQLite's own busy_timeout waits for the lock *inside* the call:
// better-sqlite3 runs on the event loop, so while `users import` held the lock for a batch, every request of
// the server stood still (measured: up to 21 ms in one `run`, docs/benchmarks.md "Item 4"). Here the
// connection's busy_timeout is 0 and a statement refused with SQLITE_BUSY is tried again after a timer,
// with the same 5 s patience; other requests run in the meantime. Transactions begin IMMEDIATE, so the
// lock is taken (and waited for) at BEGIN, where nothing has run yet and trying again is always safe;
// inside a transaction the lock is held and nothing is retried.
import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, SqliteDialect, type SqliteDialectConfig } from 'kysely';
import { WRITE_KINDS } from './sqlite-group-sync.js';

/** How long a statement waits for another connection's write lock (the busy_timeout it replaces), and the pauses between tries. */
export const LOCK_WAIT = { timeoutMs: 5000, firstPauseMs: 1, maxPauseMs: 16 };

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_RECOVERY, …): another connection holds a lock. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `attempt` until it does not fail with SQLITE_BUSY, pausing (on a timer, not on the loop) 1, 2, 4 …
 * up to 16 ms between tries; after `timeoutMs` the last SQLITE_BUSY is thrown, as busy_timeout would.
 */
export async function retryWhileBusy<T>(attempt: () => Promise<T>, limits = LOCK_WAIT, pause: (ms: number) => Promise<unknown> = sleep): Promise<T> {
  const deadline = Date.now() + limits.timeoutMs;
  let pauseMs = limits.firstPauseMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!isBusy(error) || Date.now() + pauseMs > deadline) throw error;
    }
    await pause(pauseMs);
    pauseMs = Math.min(pauseMs * 2, limits.maxPauseMs);
  }
}

/** The connection's transaction state, as better-sqlite3 reports it. */
interface TransactionState {
  readonly inTransaction: boolean;
}

/** The connection's transaction state, who is told of each commit (the WAL checkpointer), and the group commit. */
interface ConnectionHooks {
  readonly state: TransactionState;
  onCommit?(): void;
  /** Asked at each release whether the holder made an autocommit write, and then waited on (sqlite-group-sync.ts). */
  readonly durability?: { takeOwed(): boolean; durable(): Promise<void> };
}

class LockWaitingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly hooks: ConnectionHooks,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.hooks.state.inTransaction) return this.inner.executeQuery(query);
    // Outside a transaction a refused statement did nothing (it is its own transaction): safe to try again.
    const result = await retryWhileBusy(() => this.inner.executeQuery<R>(query));
    // A statement that is not a read and ran on its own has committed: numAffectedRows is set, or (a write
    // with RETURNING answers with rows instead) the query is a write.
    const wrote = result.numAffectedRows !== undefined || WRITE_KINDS.has(query.query.kind);
    if (wrote && !this.hooks.state.inTransaction) this.hooks.onCommit?.();
    return result;
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

const unwrap = (connection: DatabaseConnection) => (connection instanceof LockWaitingConnection ? connection.inner : connection);

class LockWaitingDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly hooks: ConnectionHooks,
  ) {}

  init = () => this.inner.init();
  destroy = () => this.inner.destroy();

  async acquireConnection(): Promise<DatabaseConnection> {
    return new LockWaitingConnection(await this.inner.acquireConnection(), this.hooks);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // Asked while still held: after the release the next holder's writes would be taken for this one's.
    const owed = this.hooks.durability?.takeOwed() ?? false;
    await this.inner.releaseConnection(unwrap(connection));
    // The statement's caller hears of its write once it is on disk; the connection serves others meanwhile,
    // and their commits share the fsync.
    if (owed) await this.hooks.durability?.durable();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // Through the wrapper: not yet in a transaction, so a BEGIN refused for the lock is tried again.
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.inner.commitTransaction(unwrap(connection));
    this.hooks.onCommit?.();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.inner.rollbackTransaction(unwrap(connection));
  }
}

/**
 * SqliteDialect whose connection waits for locks on timers and whose transactions begin IMMEDIATE; `onCommit`
 * is called after every commit (a transaction's, or a write statement's own).
 */
export class LockWaitingSqliteDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly hooks: ConnectionHooks,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new LockWaitingDriver(super.createDriver(), this.hooks);
  }
}
