// A worker thread with its own connections to a SQLite file, for the statements that must not run on the
// event loop: better-sqlite3 runs a query on the calling thread, and a principal with a million audit
// events and a filter that matches few of them costs a scan of every index entry in the range (~200 ms),
// which on the event loop would stall every other request.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Compilable, CompiledQuery } from 'kysely';
import type { QueryRunner } from './query-runner.js';

// The worker's code: plain CommonJS, evaluated, so that it runs the same from src/ (tsx) and dist/.
// Reads use a read-only connection (WAL: it sees every committed write, never blocks the writer);
// writes (the retention purge) and the store's WAL checkpoints (sqlite-checkpointer.ts) a connection of their
// own, so its commits and checkpoints happen here.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
function open(readonly) {
  const db = new Database(workerData.path, { readonly, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  if (!readonly) db.pragma('synchronous = NORMAL');
  return db;
}
// Background work yields the CPU to the event loop: on a busy core the scheduler would otherwise give this
// thread time slices of several ms in the middle of requests. Linux sets a nice value per thread (this one
// only); where that is refused, the thread keeps the process's priority.
try {
  require('node:os').setPriority(workerData.nice);
} catch {}
const reader = open(true);
let writer;
const statements = new Map();
function prepare(db, kind, sql) {
  const key = kind + sql;
  let statement = statements.get(key);
  if (!statement) {
    if (statements.size >= 256) statements.clear();
    statements.set(key, (statement = db.prepare(sql)));
  }
  return statement;
}
parentPort.on('message', ({ id, kind, sql, parameters }) => {
  try {
    // A PASSIVE checkpoint waits for nobody; under synchronous=NORMAL it syncs the WAL before copying it.
    if (kind === 'checkpoint') parentPort.postMessage({ id, rows: (writer ??= open(false)).pragma('wal_checkpoint(PASSIVE)') });
    else if (kind === 'rows') parentPort.postMessage({ id, rows: prepare(reader, kind, sql).all(...parameters) });
    else parentPort.postMessage({ id, changes: prepare((writer ??= open(false)), kind, sql).run(...parameters).changes });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});
`;

/**
 * The worker thread's nice value (the event loop's thread keeps 0): 10 gives it about a tenth of a core the
 * loop wants too, so audit scans and checkpoints still progress under full load, just after the requests.
 */
export const WORKER_NICE = 10;

type Statement = Pick<CompiledQuery<unknown>, 'sql' | 'parameters'>;
const NO_STATEMENT: Statement = { sql: '', parameters: [] };

interface Reply {
  id: number;
  rows?: unknown[];
  changes?: number;
  error?: string;
}

/** Runs statements on a worker thread with its own connections to the SQLite file at `path`. */
export class SqliteWorkerRunner implements QueryRunner {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();

  constructor(private readonly path: string) {}

  async rows<R>(query: Compilable<R>): Promise<R[]> {
    return (await this.send('rows', query.compile())).rows as R[];
  }

  async run(query: Compilable<unknown>): Promise<number> {
    return (await this.send('run', query.compile())).changes ?? 0;
  }

  /** A PASSIVE checkpoint of the file's WAL on the worker's writer connection: frames in the WAL, and how many are now in the database file. */
  async checkpoint(): Promise<{ busy: number; log: number; checkpointed: number }> {
    const [result] = (await this.send('checkpoint', NO_STATEMENT)).rows as {
      busy: number;
      log: number;
      checkpointed: number;
    }[];
    return result!;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private send(kind: 'rows' | 'run' | 'checkpoint', compiled: Statement): Promise<Reply> {
    const id = this.nextId++;
    const worker = this.start();
    // Referenced only while a query is out, so an idle worker never keeps the process alive.
    if (this.pending.size === 0) worker.ref();
    const reply = new Promise<Reply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    worker.postMessage({ id, kind, sql: compiled.sql, parameters: compiled.parameters });
    return reply.then((r) =>
      r.error === undefined ? r : Promise.reject(new Error(`${kind === 'checkpoint' ? 'checkpoint' : 'audit query'} failed: ${r.error}`)),
    );
  }

  /** The worker, started on first use; a worker that died is replaced on the next query. */
  private start(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: this.path, driver, nice: WORKER_NICE } });
    worker.on('message', (reply: Reply) => {
      this.pending.get(reply.id)?.resolve(reply);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`audit worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}
