// The recovery codes repository (recovery_codes): only the hashes of a principal's single-use codes.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export type RecoveryCodesRepository = ReturnType<typeof createRecoveryCodesRepository>;

export function createRecoveryCodesRepository(db: Kysely<Database>) {
  return {
    /** The principal's codes become exactly these. */
    async replaceForUser(userId: string, codeHashes: string[], nowMs: number): Promise<void> {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      await db
        .insertInto('recovery_codes')
        .values(codeHashes.map((codeHash) => ({ id: randomUUID(), user_id: userId, code_hash: codeHash, used_at: null, created_at: nowMs })))
        .execute();
    },

    /** Marks one unused code as used; a single conditional UPDATE, so a code can be spent only once. */
    async consume(userId: string, codeHash: string, nowMs: number): Promise<boolean> {
      const result = await db
        .updateTable('recovery_codes')
        .set({ used_at: nowMs })
        .where('user_id', '=', userId)
        .where('code_hash', '=', codeHash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async deleteForUser(userId: string): Promise<void> {
      await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    },
  };
}
