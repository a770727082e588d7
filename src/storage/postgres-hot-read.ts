// The hot reads' one-row queries on PostgreSQL as pg "submittables" (objects with a `submit` method, the documented
// extension point pg-cursor and pg-query-stream use): a named statement, parsed once per connection, executed with
// Bind + Execute + Sync in one corked write, and its one row mapped by column position. pg's own Query, on every
// execution, copies its config, is an EventEmitter, asks the server to describe the portal and parses that row
// description into field objects, looks up a type parser per field and builds the row through object spreads: about
// a fifth of the PostgreSQL status route's server CPU (docs/benchmarks.md, issue 14 item 2, third pass).
import type pg from 'pg';

/** A statement of the hot reads: its name on each connection, its SQL, and how its columns (in select order) become a row. */
export interface HotStatement<Row> {
  name: string;
  text: string;
  /**
   * The row from the columns' values as PostgreSQL sends them in text format (null for SQL NULL). No type parsers
   * are asked for: the statement's own mapper converts what is not a string (its numbers, say).
   */
  toRow(values: (string | null)[]): Row;
}

/** The parts of pg's Connection a submittable drives (pg/lib/connection.js, as pg's Query uses them). */
export interface Connection {
  stream: { cork?(): void; uncork?(): void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(query: { name: string; text: string; types: [] }): void;
  bind(config: { statement: string; values: unknown[] }): void;
  execute(config: { rows: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

type Callback<Row> = (error: Error | null, row?: Row) => void;

/**
 * A named statement's one execution as a submittable: the pool hands it to a client, the client feeds it the server's
 * messages until ReadyForQuery. Subclasses say what to bind and what to do with the rows and the end.
 */
export abstract class NamedStatementExecution {
  /** The client reads these to track the named statement (pg/lib/client.js _handleParseComplete, _handleErrorMessage). */
  readonly name: string;
  readonly text: string;

  constructor(statement: { name: string; text: string }) {
    this.name = statement.name;
    this.text = statement.text;
  }

  protected abstract values(): unknown[];

  submit(connection: Connection): Error | null {
    const previous = connection.parsedStatements[this.name] ?? connection.submittedNamedStatements[this.name];
    if (previous !== undefined && previous !== this.text)
      return new Error(`Prepared statements must be unique - '${this.name}' was used for a different statement`);
    // Four messages, one write (as pg's Query does).
    connection.stream.cork?.();
    try {
      if (previous === undefined) {
        connection.parse({ name: this.name, text: this.text, types: [] });
        connection.submittedNamedStatements[this.name] = this.text;
      }
      // No Describe: the statement's columns are known here, so the server sends no row description to parse.
      connection.bind({ statement: this.name, values: this.values() });
      connection.execute({ rows: 0 });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  abstract handleDataRow(message: { fields: (string | null)[] }): void;
  abstract handleReadyForQuery(): void;
  abstract handleError(error: Error): void;

  // Nothing to do for these: no Describe was sent, no row limit, no COPY.
  handleRowDescription(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: Connection): void {
    connection.sendCopyFail('No source stream defined');
  }
  handleCopyData(): void {}
}

/** One execution of a one-row statement. */
class HotRead<Row> extends NamedStatementExecution {
  /** Set by the client (pool.query's callback). */
  callback: Callback<Row> | undefined;
  private row: Row | undefined;
  /** A row that could not be mapped: answered at ReadyForQuery, when the connection is free again (as pg's Query does). */
  private unmappable: Error | undefined;
  private failed = false;

  constructor(
    private readonly statement: HotStatement<Row>,
    private readonly boundValues: unknown[],
  ) {
    super(statement);
  }

  protected values(): unknown[] {
    return this.boundValues;
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    if (this.row !== undefined || this.unmappable) return;
    try {
      this.row = this.statement.toRow(message.fields);
    } catch (error) {
      this.unmappable = error as Error;
    }
  }

  handleReadyForQuery(): void {
    if (this.failed) return;
    if (this.unmappable) this.callback?.(this.unmappable);
    else this.callback?.(null, this.row);
  }

  handleError(error: Error): void {
    this.failed = true;
    this.callback?.(error);
  }
}

/** The one row of `statement` for these values (undefined: none), through the pool like any query (its checkout, timeouts and error handling). */
export function readHotRow<Row>(pool: pg.Pool, statement: HotStatement<Row>, values: unknown[]): Promise<Row | undefined> {
  return new Promise((resolve, reject) => {
    const read = new HotRead(statement, values);
    // pg's pool.query hands a submittable to client.query as it is; its types know only config objects.
    (pool.query as unknown as (submittable: HotRead<Row>, values: undefined, callback: Callback<Row>) => void)(read, undefined, (error, row) =>
      error ? reject(error) : resolve(row),
    );
  });
}
