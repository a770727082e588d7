// Group commit for the SQLite writer: every commit is on disk before it is answered, with one fsync for all
// the commits of a moment instead of one per commit, and that fsync off the event loop.
//
// SQLite's `synchronous = FULL` fsyncs the WAL inside every COMMIT, on the calling thread: better-sqlite3
// runs on the event loop, so each write transaction stalled every request for one fsync (3–6 ms on the
// development machine's disk) and capped the writes at a few hundred a second. Instead the writer runs
// `synchronous = NORMAL` (a commit appends its frames to the WAL in the OS page cache: it survives a process
// crash, not a power loss) and a write is not reported done until a fsync of the WAL that started after its
// commit has finished. That is FULL's promise — nothing answered is lost on a power loss — with the fsync
// on libuv's thread pool, and shared: commits that land while one fsync runs are covered by the next one.
// A checkpoint under NORMAL syncs the WAL before copying it and the database file after, so frames that
// leave the WAL stay durable; fsync acts on the file, whichever descriptor wrote it.
import { open } from 'node:fs/promises';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryId, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/** Syncs the file at `path` to disk; a seam for tests. */
export type FileSync = (path: string) => Promise<void>;

export const fsyncFile: FileSync = async (path) => {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

export class GroupSync {
  /** Commits made on the writer connection, and how many of them are known to be on disk. */
  private committed = 0;
  private synced = 0;
  private running: Promise<void> | undefined;
  /** fsyncs issued, for tests and the bench: far fewer than commits under load. */
  syncs = 0;

  /**
   * @param walPath the writer's WAL file (`<db>-wal`); when it is absent (nothing written since the last
   *   truncating checkpoint), `databasePath` holds everything and is synced instead.
   */
  constructor(
    private readonly walPath: string,
    private readonly databasePath: string,
    private readonly syncFile: FileSync = fsyncFile,
  ) {}

  /** Commits noted that are not yet known to be on disk. */
  get pending(): number {
    return this.committed - this.synced;
  }

  /** Called right after a commit; the commit counts as done only once `durable()` resolves. */
  noteCommit(): void {
    this.committed++;
  }

  /** Resolves when every commit noted so far is on disk; rejects if the fsync fails (the write is then not answered as done). */
  async durable(): Promise<void> {
    const target = this.committed;
    while (this.synced < target) {
      // One fsync at a time: a commit noted while one runs waits for the next, which covers all of them.
      this.running ??= this.syncOnce().finally(() => (this.running = undefined));
      await this.running;
    }
  }

  private async syncOnce(): Promise<void> {
    const upTo = this.committed; // every commit noted so far is already in the WAL file (page cache)
    this.syncs++;
    try {
      await this.syncFile(this.walPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await this.syncFile(this.databasePath);
    }
    this.synced = Math.max(this.synced, upTo);
  }
}

const WRITE_KINDS = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

/**
 * A statement run outside a transaction commits on its own (autocommit): this plugin makes its `execute()`
 * wait for `durable()` when it changed anything. Statements inside a transaction do not wait; the store's
 * `transaction()` waits once after COMMIT.
 */
export class DurableAutocommitPlugin implements KyselyPlugin {
  /** The statements that may write: a query builder's write, or raw SQL (judged by the rows it changed). */
  private readonly writes = new WeakMap<QueryId, 'write' | 'raw'>();

  constructor(
    private readonly connection: { readonly inTransaction: boolean },
    private readonly sync: GroupSync,
  ) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (WRITE_KINDS.has(args.node.kind)) this.writes.set(args.queryId, 'write');
    else if (args.node.kind === 'RawNode') this.writes.set(args.queryId, 'raw');
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const { result } = args;
    const kind = this.writes.get(args.queryId);
    if (kind === undefined || this.connection.inTransaction) return result;
    // `numAffectedRows` for a plain write; a write with RETURNING comes back as rows instead (raw SQL that
    // returns rows is taken for a read).
    const changed = result.numAffectedRows !== undefined ? result.numAffectedRows > 0n : kind === 'write' && result.rows.length > 0;
    if (changed) {
      this.sync.noteCommit();
      await this.sync.durable();
    }
    return result;
  }
}
