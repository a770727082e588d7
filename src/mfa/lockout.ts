// Durable per-principal lockout after consecutive failed passcodes, recovery codes or passwords (any endpoint),
// escalating on repeated lockouts, with a hard cap on failures in a row (NIST SP 800-63B-4 §5.2.2).
import { ApiError } from '../errors.js';
import type { Repositories } from '../storage/repositories/index.js';
import type { LockoutState } from '../storage/repositories/lockouts.js';

export type { LockoutState };

export interface LockoutPolicy {
  /** Consecutive failures that lock verification. */
  threshold: number;
  /** The first lock; each further lock without a success in between lasts twice as long. */
  lockoutSeconds: number;
}

/** No lock lasts longer than a day, however often it repeats. */
export const MAX_LOCKOUT_SECONDS = 24 * 3600;
/** Failures in a row after which only an admin unlock (or `mfa reset`) lets the principal verify again. */
export const MAX_CONSECUTIVE_FAILURES = 100;

/** A counted attempt: the state it found, and the state it wrote (to undo it for a correct password). */
export type AttemptReservation = { allowed: true; before: LockoutState; after: LockoutState } | { allowed: false; retryAfterSeconds: number | undefined };

/** Length of the lock that a run of failures sets after `lockouts` earlier locks: doubling, capped. */
export function lockDurationSeconds(lockouts: number, policy: LockoutPolicy): number {
  return Math.min(MAX_LOCKOUT_SECONDS, policy.lockoutSeconds * 2 ** Math.min(lockouts, 32));
}

const isCapped = (state: LockoutState): boolean => state.consecutiveFailures >= MAX_CONSECUTIVE_FAILURES;
const isLockedAt = (state: LockoutState, nowMs: number): boolean => isCapped(state) || (state.lockedUntil !== null && state.lockedUntil > nowMs);

/** The 429 for a locked principal: with Retry-After for a timed lock, without once the cap is reached. */
export function lockedError(retryAfterSeconds: number | undefined): ApiError {
  if (retryAfterSeconds !== undefined) return new ApiError('mfa_locked', undefined, { retryAfterSeconds });
  return new ApiError(
    'mfa_locked',
    `Too many failed MFA verifications in a row (${MAX_CONSECUTIVE_FAILURES}): locked until an administrator unlocks this principal.`,
  );
}

/**
 * Decides one attempt. Refused while locked (Retry-After) or once the cap is reached (no Retry-After:
 * waiting does not help). Otherwise the attempt is counted as a failure; a lock that has run out starts a
 * fresh run; reaching the threshold sets the next, longer lock. The attempt itself is still verified.
 */
export function decideAttempt(
  state: LockoutState,
  nowMs: number,
  policy: LockoutPolicy,
): { allowed: true; next: LockoutState } | { allowed: false; retryAfterSeconds: number | undefined } {
  if (isCapped(state)) return { allowed: false, retryAfterSeconds: undefined };
  if (isLockedAt(state, nowMs)) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((state.lockedUntil! - nowMs) / 1000)) };
  const failedCount = (state.lockedUntil === null ? state.failedCount : 0) + 1;
  const consecutiveFailures = state.consecutiveFailures + 1;
  if (failedCount < policy.threshold && consecutiveFailures < MAX_CONSECUTIVE_FAILURES)
    return { allowed: true, next: { ...state, failedCount, consecutiveFailures, lockedUntil: null } };
  const lockedUntil = nowMs + lockDurationSeconds(state.lockouts, policy) * 1000;
  return { allowed: true, next: { failedCount, consecutiveFailures, lockedUntil, lockouts: state.lockouts + 1 } };
}

/**
 * Counts an attempt *before* verifying it, in the caller's transaction; a success then calls
 * clearFailures() (a second factor) or releaseAttempt() (a password), so it never counts.
 * While locked nothing is written: a correct code gets no further.
 */
export async function reserveAttempt(tx: Repositories, userId: string, nowMs: number, policy: LockoutPolicy): Promise<AttemptReservation> {
  // The read takes the lock that queues concurrent guesses for one principal: the threshold stays exact.
  const before = await tx.lockouts.lock(userId);
  const decision = decideAttempt(before, nowMs, policy);
  if (!decision.allowed) return decision;
  await tx.lockouts.write(userId, decision.next);
  return { allowed: true, before, after: decision.next };
}

/**
 * Undoes a reserved attempt whose password was right. A correct password does not reset the count (only
 * a second factor does), or a known password would buy unlimited passcode guesses. The lock it may have
 * set is lifted only if no other attempt has changed it since; otherwise it stays (fail closed).
 */
export async function releaseAttempt(tx: Repositories, userId: string, reservation: Extract<AttemptReservation, { allowed: true }>): Promise<void> {
  const now = await tx.lockouts.lock(userId);
  const { before, after } = reservation;
  const ownLock = after.lockedUntil !== null && now.lockedUntil === after.lockedUntil && now.lockouts === after.lockouts;
  await tx.lockouts.write(userId, {
    failedCount: Math.max(0, now.failedCount - 1),
    consecutiveFailures: Math.max(0, now.consecutiveFailures - 1),
    lockedUntil: ownLock ? before.lockedUntil : now.lockedUntil,
    lockouts: ownLock ? before.lockouts : now.lockouts,
  });
}

/** A verified passcode or recovery code ends the run of failures and the escalation. */
export function clearFailures(tx: Repositories, userId: string): Promise<void> {
  return tx.lockouts.clear(userId);
}

/** Admin unlock: clears the counts and any lock; returns whether the principal was locked at `nowMs`. */
export async function unlockPrincipal(tx: Repositories, userId: string, nowMs: number): Promise<boolean> {
  const state = await tx.lockouts.lock(userId);
  await clearFailures(tx, userId);
  return isLockedAt(state, nowMs);
}
