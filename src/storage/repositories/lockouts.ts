// The lockout repository (mfa_lockouts): each principal's run of failed verifications and its locks.
import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

export interface LockoutState {
  failedCount: number;
  lockedUntil: number | null;
  lockouts: number;
  consecutiveFailures: number;
}

const CLEAR = { failed_count: 0, locked_until: null, lockouts: 0, consecutive_failures: 0 };

export type LockoutsRepository = ReturnType<typeof createLockoutsRepository>;

export function createLockoutsRepository(db: Kysely<Database>) {
  return {
    /**
     * Reads the principal's row with the lock that serializes its attempts: the upsert's no-op update takes
     * the row lock (PostgreSQL) or the write lock (SQLite) before the read, so concurrent guesses for one
     * principal queue behind each other and the threshold stays exact. Call inside a transaction.
     */
    async lock(userId: string): Promise<LockoutState> {
      const row = await db
        .insertInto('mfa_lockouts')
        .values({ user_id: userId, ...CLEAR })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ failed_count: sql.ref('mfa_lockouts.failed_count') }))
        .returning(['failed_count', 'locked_until', 'lockouts', 'consecutive_failures'])
        .executeTakeFirstOrThrow();
      return {
        failedCount: Number(row.failed_count),
        lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
        lockouts: Number(row.lockouts),
        consecutiveFailures: Number(row.consecutive_failures),
      };
    },

    async write(userId: string, s: LockoutState): Promise<void> {
      await db
        .updateTable('mfa_lockouts')
        .set({ failed_count: s.failedCount, locked_until: s.lockedUntil, lockouts: s.lockouts, consecutive_failures: s.consecutiveFailures })
        .where('user_id', '=', userId)
        .execute();
    },

    async clear(userId: string): Promise<void> {
      await db.updateTable('mfa_lockouts').set(CLEAR).where('user_id', '=', userId).execute();
    },

    async deleteForUser(userId: string): Promise<void> {
      await db.deleteFrom('mfa_lockouts').where('user_id', '=', userId).execute();
    },
  };
}
