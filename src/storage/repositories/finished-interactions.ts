// The finished sign-ins repository (signin_finished_interactions): the hashed id of every sign-in that has
// finished, until its sealed interaction cookie expires. Finishing is one INSERT … ON CONFLICT DO NOTHING,
// so of two requests finishing the same sign-in exactly one inserts the row and goes on.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export type FinishedInteractionsRepository = ReturnType<typeof createFinishedInteractionsRepository>;

export function createFinishedInteractionsRepository(db: Kysely<Database>) {
  return {
    /**
     * Records the interaction as finished; true only for the request that did so first. Rows past their
     * end are swept first (an index range on expires_at), so the table holds about ten minutes of sign-ins.
     */
    async markFinished(idHash: string, expiresAt: number, nowMs: number): Promise<boolean> {
      await db.deleteFrom('signin_finished_interactions').where('expires_at', '<=', nowMs).execute();
      const result = await db
        .insertInto('signin_finished_interactions')
        .values({ id_hash: idHash, expires_at: expiresAt })
        .onConflict((conflict) => conflict.column('id_hash').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async isFinished(idHash: string): Promise<boolean> {
      const row = await db.selectFrom('signin_finished_interactions').select('id_hash').where('id_hash', '=', idHash).executeTakeFirst();
      return row !== undefined;
    },
  };
}
