// Where compiled statements run when they must not hold up requests: through Kysely (PostgreSQL, where
// the server does the work, and in-memory SQLite, which a second connection cannot see), or on a worker
// thread with connections of its own (a SQLite file, see sqlite-worker.ts).
import type { Compilable, Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface QueryRunner {
  /** The rows of a read query. */
  rows<R>(query: Compilable<R>): Promise<R[]>;
  /** Runs a write statement once; returns how many rows it changed. */
  run(query: Compilable<unknown>): Promise<number>;
  close(): Promise<void>;
}

export function createKyselyQueryRunner(db: Kysely<Database>): QueryRunner {
  return {
    async rows<R>(query: Compilable<R>) {
      return (await db.executeQuery(query)).rows;
    },
    async run(query) {
      return Number((await db.executeQuery(query)).numAffectedRows ?? 0);
    },
    async close() {},
  };
}
