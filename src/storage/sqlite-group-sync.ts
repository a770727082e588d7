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
import { closeSync, fsync, openSync, statSync } from 'node:fs';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryId, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/** Syncs the file at `path` to disk; a seam for tests. */
export type FileSync = (path: string) => Promise<void>;

/** A FileSync that can also let go of what it holds open. */
export interface FileSyncer {
  sync: FileSync;
  close(): void;
}

const fsyncDescriptor = (fd: number) => new Promise<void>((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));

/**
 * Keeps one descriptor per file open between syncs: opening and closing the WAL for every fsync (a
 * FileHandle's three promises) cost about 100 µs of the loop's CPU per write under load, a tenth of a sign-in
 * token exchange. A `stat` of the path first (a few µs) proves the descriptor still names the file at that
 * path: SQLite deletes the WAL when the last connection closes, and the next writer creates a new file,
 * which a descriptor of the old one would not sync. A missing file throws ENOENT, as `open` would.
 */
export function createFileSyncer(): FileSyncer {
  const open = new Map<string, { fd: number; dev: number; ino: number }>();
  const release = (path: string) => {
    const held = open.get(path);
    if (held === undefined) return;
    open.delete(path);
    closeSync(held.fd); // rare (a replaced WAL, the store's close) and quick for a regular file
  };
  return {
    async sync(path) {
      const now = statSync(path); // throws ENOENT when the file is gone
      let held = open.get(path);
      if (held && (held.dev !== now.dev || held.ino !== now.ino)) {
        release(path);
        held = undefined;
      }
      if (held === undefined) {
        held = { fd: openSync(path, 'r'), dev: now.dev, ino: now.ino };
        open.set(path, held);
      }
      await fsyncDescriptor(held.fd);
    },
    close() {
      for (const path of [...open.keys()]) release(path);
    },
  };
}

export class GroupSync {
  /** Commits made on the writer connection, and how many of them are known to be on disk. */
  private committed = 0;
  private synced = 0;
  private running: Promise<void> | undefined;
  /** An autocommit write was noted since the connection's holder took it: takeOwed(). */
  private owed = false;
  /** fsyncs issued, for tests and the bench: far fewer than commits under load. */
  syncs = 0;

  private readonly syncFile: FileSync;
  /** The descriptors this group holds open, when it syncs real files (not a test's FileSync). */
  private readonly syncer: FileSyncer | undefined;

  /**
   * @param walPath the writer's WAL file (`<db>-wal`); when it is absent (nothing written since the last
   *   truncating checkpoint), `databasePath` holds everything and is synced instead.
   * @param syncFile a test's FileSync; by default a descriptor kept open per file (createFileSyncer).
   */
  constructor(
    private readonly walPath: string,
    private readonly databasePath: string,
    syncFile?: FileSync,
  ) {
    if (syncFile) {
      this.syncer = undefined;
      this.syncFile = syncFile;
    } else {
      const syncer = createFileSyncer();
      this.syncer = syncer;
      this.syncFile = syncer.sync;
    }
  }

  /** Lets go of the open descriptors once the fsync under way (if any) is over; the store calls it on close. */
  async close(): Promise<void> {
    await this.running?.catch(() => {});
    this.syncer?.close();
  }

  /** Commits noted that are not yet known to be on disk. */
  get pending(): number {
    return this.committed - this.synced;
  }

  /** Called right after a commit; the commit counts as done only once `durable()` resolves. */
  noteCommit(): void {
    this.committed++;
  }

  /** An autocommit write made on the connection now held: its caller waits for `durable()` once the connection is released. */
  noteAutocommit(): void {
    this.noteCommit();
    this.owed = true;
  }

  /** Whether the connection's current holder committed on its own and must wait; asked once, before the release. */
  takeOwed(): boolean {
    const owed = this.owed;
    this.owed = false;
    return owed;
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

/** Root nodes of the statements that write (with or without RETURNING). */
export const WRITE_KINDS: ReadonlySet<string> = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

/**
 * A statement run outside a transaction commits on its own (autocommit): this plugin notes such a commit
 * when it changed anything, and the driver (sqlite-lock-wait.ts) makes its `execute()` wait for `durable()`
 * after releasing the connection. Waiting here, inside Kysely's hold on the one connection, made every
 * other statement queue behind each fsync: 100 concurrent writes took 100 fsyncs instead of sharing two.
 * Statements inside a transaction do not wait; the store's `transaction()` waits once after COMMIT.
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
    if (changed) this.sync.noteAutocommit();
    return result;
  }
}
