// The password that confirms an MFA operation: checked under the principal's lockout, audited when wrong.
import { recordAuditEvent } from '../audit/record.js';
import { ApiError } from '../errors.js';
import { verifyPassword } from '../principals/passwords.js';
import type { User } from '../principals/users.js';
import { lockedError, releaseAttempt, reserveAttempt } from './lockout.js';
import type { SecondFactorDeps } from './second-factor.js';

/**
 * A wrong password counts as a failed verification, like a wrong passcode: 403 wrong_password and a
 * PASSWORD_VERIFICATION_FAILURE event; while locked, 429 even for the right one. The attempt is counted
 * before scrypt runs (so parallel guesses cannot overshoot the threshold) and given back when the password
 * is right. scrypt runs between two short transactions, never inside one: SQLite's write lock must not wait on it.
 */
export async function confirmPassword(deps: SecondFactorDeps, user: User, deviceName: string | null, password: string): Promise<void> {
  await deps.passcodeGuard?.(user.id);
  const nowMs = deps.clock.now();
  const reservation = await deps.store.transaction((trx) => reserveAttempt(trx, user.id, nowMs, deps.lockout));
  if (!reservation.allowed) deps.events.emit('mfa.locked_out', { userId: user.id });
  if (!reservation.allowed) throw lockedError(reservation.retryAfterSeconds);
  if (await verifyPassword(password, user.passwordHash)) {
    await deps.store.transaction((trx) => releaseAttempt(trx, user.id, reservation));
    return;
  }
  await recordAuditEvent(deps.store, { user, action: 'PASSWORD_VERIFICATION_FAILURE', deviceName, modifiedBy: user.username, eventDate: nowMs });
  throw new ApiError('wrong_password');
}
