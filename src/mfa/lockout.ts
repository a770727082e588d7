// Durable per-principal lockout after consecutive failed passcodes or recovery codes (any endpoint).
import { type Kysely, sql } from 'kysely';
import type { Database } from '../storage/schema.js';

export interface LockoutPolicy {
  /** Consecutive failures that lock verification. */
  threshold: number;
  lockoutSeconds: number;
}

export type AttemptReservation = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counts an attempt *before* verifying it, in the caller's transaction. Counting first makes the
 * threshold exact under concurrency: on PostgreSQL the UPDATE takes the row lock, so concurrent
 * guesses for one principal queue behind each other, and on SQLite the write lock does the same.
 * A success then calls clearFailures() in the same transaction, so it never counts.
 * While locked the UPDATE matches nothing and nothing is written: a correct code gets no further.
 * A lock that has run out starts a fresh count.
 */
export async function reserveAttempt(db: Kysely<Database>, userId: string, nowMs: number, policy: LockoutPolicy): Promise<AttemptReservation> {
  await db.insertInto('mfa_lockouts').values({ user_id: userId, failed_count: 0, locked_until: null }).onConflict((oc) => oc.column('user_id').doNothing()).execute();
  const lockUntil = nowMs + policy.lockoutSeconds * 1000;
  const expired = sql<boolean>`locked_until is not null and locked_until <= ${nowMs}`;
  const result = await db
    .updateTable('mfa_lockouts')
    .set({
      failed_count: sql<number>`case when ${expired} then 1 else failed_count + 1 end`,
      locked_until: sql<number | null>`case when ${expired} then ${policy.threshold <= 1 ? sql`${lockUntil}` : sql`null`}
        when failed_count + 1 >= ${policy.threshold} then ${lockUntil} else locked_until end`,
    })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', nowMs)]))
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1) return { allowed: true };
  return { allowed: false, retryAfterSeconds: await secondsLocked(db, userId, nowMs) };
}

/** A verified passcode or recovery code ends the run of failures. */
export async function clearFailures(db: Kysely<Database>, userId: string): Promise<void> {
  await db.updateTable('mfa_lockouts').set({ failed_count: 0, locked_until: null }).where('user_id', '=', userId).execute();
}

/** Seconds until verification unlocks (0 when not locked). */
export async function secondsLocked(db: Kysely<Database>, userId: string, nowMs: number): Promise<number> {
  const row = await db.selectFrom('mfa_lockouts').select('locked_until').where('user_id', '=', userId).executeTakeFirst();
  const until = row?.locked_until == null ? 0 : Number(row.locked_until);
  return until > nowMs ? Math.max(1, Math.ceil((until - nowMs) / 1000)) : 0;
}
