// Queries of the hot paths that Kysely builds and compiles once per database handle; each run only puts its
// values in. Building a query and compiling it to SQL costs Kysely 30–50 µs of CPU on this project's
// machines, more than SQLite's own work for a read by key, and a sign-in's token exchange ran four such
// queries (docs/benchmarks.md, "Issue 11"). The SQL text stays the same, so the SQLite driver's statement
// cache and PostgreSQL's parameters work as before, and so do the plugins: the compiled query keeps its
// query id, which the group commit's plugin (sqlite-group-sync.ts) knows as a write or a read.
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

const SLOT = Symbol('precompiled slot');

/** Where one argument's value goes: use it only as a plain value (`where(col, '=', slot)`, `set({ col: slot })`). */
interface Slot {
  readonly [SLOT]: number;
}

const isSlot = (value: unknown): value is Slot => typeof value === 'object' && value !== null && SLOT in value;

interface Compiled<Row> {
  query: CompiledQuery<Row>;
  /** For each parameter of the SQL: the argument it takes, or -1 for a constant of the query itself. */
  argumentAt: number[];
}

/**
 * `build` gets one slot per argument and returns the query. A slot must never decide the SQL's shape (an
 * `is null`, an `in (…)` list, a value Kysely turns into SQL): every run would get the first run's shape.
 * Each slot must appear in the parameters, or the compile throws: a value lost there would be a query on
 * the wrong row.
 */
export function precompiled<Row>(
  arity: number,
  // A slot is typed `never` so that it fits wherever the column's value goes.
  build: (db: Kysely<Database>, ...slots: never[]) => Compilable<Row>,
): (db: Kysely<Database>, ...args: unknown[]) => Promise<QueryResult<Row>> {
  // One compile per handle: the store's Kysely and each transaction's are different handles.
  const compiledFor = new WeakMap<Kysely<Database>, Compiled<Row>>();
  const compile = (db: Kysely<Database>): Compiled<Row> => {
    const slots = Array.from({ length: arity }, (_, i): Slot => ({ [SLOT]: i }));
    const query = build(db, ...(slots as never[])).compile();
    const argumentAt = query.parameters.map((value) => (isSlot(value) ? value[SLOT] : -1));
    for (let i = 0; i < arity; i++) if (!argumentAt.includes(i)) throw new Error(`precompiled query: argument ${i} is not a parameter of ${query.sql}`);
    return { query, argumentAt };
  };
  return (db, ...args) => {
    if (args.length !== arity) throw new Error(`precompiled query: ${args.length} arguments for ${arity} slots`);
    let compiled = compiledFor.get(db);
    if (compiled === undefined) {
      compiled = compile(db);
      compiledFor.set(db, compiled);
    }
    const { query, argumentAt } = compiled;
    const parameters = query.parameters.map((value, i) => (argumentAt[i] === -1 ? value : args[argumentAt[i] as number]));
    return db.executeQuery<Row>({ ...query, parameters });
  };
}
