// The gate's read on PostgreSQL, batched: the reads asked for during one turn of the event loop (the requests read
// from the sockets in one poll phase) go to the server as one statement over all their keys (`= any($1)`), when the
// turn's I/O is done (setImmediate). One pool checkout, one write, one read and one execution serve them all,
// instead of one each (docs/benchmarks.md, issue 14 item 2, third pass). Nothing is kept across batches: each read is
// answered from a statement that started after it was asked for, so a change committed before a request arrived (a
// disable or delete by the CLI) is what that request sees.
import type pg from 'pg';
import { NamedStatementExecution } from './postgres-hot-read.js';

/** A statement over many keys: `$1` is a text array of keys; each row carries its key in the first column. */
export interface BatchedStatement<Row> {
  name: string;
  text: string;
  /** The row from its columns (the key first), as PostgreSQL sent them in text format. */
  toRow(values: (string | null)[]): Row;
}

interface Waiter<Row> {
  resolve(row: Row | undefined): void;
  reject(error: Error): void;
}

/** A PostgreSQL array literal of text elements: each quoted, with `"` and `\` escaped, so any key is one element. */
export const textArrayLiteral = (keys: Iterable<string>): string => {
  let literal = '{';
  for (const key of keys) literal += `${literal.length > 1 ? ',' : ''}"${key.replace(/["\\]/g, '\\$&')}"`;
  return `${literal}}`;
};

/** One batch on the wire: a pg submittable (see postgres-hot-read.ts) that answers each waiter by its key. */
class Batch<Row> extends NamedStatementExecution {
  callback: ((error: Error | null) => void) | undefined;
  private failure: Error | undefined;
  private done = false;

  constructor(
    private readonly statement: BatchedStatement<Row>,
    private readonly waiters: Map<string, Waiter<Row>[]>,
  ) {
    super(statement);
  }

  protected values(): unknown[] {
    return [textArrayLiteral(this.waiters.keys())];
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    if (this.failure || this.done) return;
    const waiting = this.waiters.get(message.fields[0] as string);
    if (!waiting) return;
    this.waiters.delete(message.fields[0] as string);
    try {
      // A row object per waiter: two requests for one user never share what they may change.
      for (const waiter of waiting) waiter.resolve(this.statement.toRow(message.fields));
    } catch (error) {
      // Answered at ReadyForQuery, when the connection is free again (as pg's Query does).
      this.failure = error as Error;
      for (const waiter of waiting) waiter.reject(this.failure);
    }
  }

  handleReadyForQuery(): void {
    if (this.failure) return this.finish(this.failure);
    // Keys without a row: no such user.
    for (const waiting of this.waiters.values()) for (const waiter of waiting) waiter.resolve(undefined);
    this.waiters.clear();
    this.finish(null);
  }

  handleError(error: Error): void {
    this.finish(error);
  }

  /** Every waiter not answered yet gets the error: the pool could not connect, the server refused, the query timed out. */
  rejectRemaining(error: Error): void {
    for (const waiting of this.waiters.values()) for (const waiter of waiting) waiter.reject(error);
    this.waiters.clear();
  }

  private finish(error: Error | null): void {
    if (this.done) return;
    this.done = true;
    this.callback?.(error);
  }
}

/** read(key): the row of that key (undefined: none), from the batch of the current event-loop turn. */
export function createBatchedRead<Row>(pool: pg.Pool, statement: BatchedStatement<Row>): (key: string) => Promise<Row | undefined> {
  let gathering: Map<string, Waiter<Row>[]> | undefined;
  const send = () => {
    const batch = new Batch(statement, gathering as Map<string, Waiter<Row>[]>);
    gathering = undefined;
    // pg's pool.query hands a submittable to client.query as it is (its checkout, query timeout, error handling).
    // The batch answers its waiters from the rows; any error, wherever it arose, reaches this callback.
    (pool.query as unknown as (submittable: Batch<Row>, values: undefined, callback: (error: Error | null) => void) => void)(batch, undefined, (error) => {
      if (error) batch.rejectRemaining(error);
    });
  };
  return (key) =>
    new Promise((resolve, reject) => {
      if (gathering === undefined) {
        gathering = new Map();
        setImmediate(send);
      }
      const waiting = gathering.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else gathering.set(key, [{ resolve, reject }]);
    });
}
