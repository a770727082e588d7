// Verifying a passcode or recovery code inside a transaction: lockout, replay guard, audit, then the action.
import { recordAuditEvent } from '../audit/record.js';
import type { Clock } from '../clock.js';
import { ApiError, type ErrorCode } from '../errors.js';
import type { Store } from '../storage/database.js';
import type { Events } from '../events/events.js';
import type { Repositories } from '../storage/repositories/index.js';
import { consumeRecoveryCode, type Device, isActivated } from './device-store.js';
import { clearFailures, lockedError, type LockoutPolicy, reserveAttempt } from './lockout.js';
import { looksLikeRecoveryCode } from './recovery-codes.js';
import { decryptSeed } from './seed-crypto.js';
import { findMatchingStep, isWellFormedPasscode, type TotpAlgorithm } from './totp.js';

export type Factor = 'otp' | 'recovery_code';

export interface SecondFactorDeps {
  store: Store;
  clock: Clock;
  masterKey: Buffer | undefined;
  lockout: LockoutPolicy;
  /** Where refused passcodes, replays and lockouts are announced (metrics count them). */
  events: Events;
  /** Shared per-principal attempt counter (limits.passcodeGuard): 429 over the limit, 503 when Redis is down (fail closed). */
  passcodeGuard?: (principalKey: string) => Promise<void>;
}

export interface VerifyOptions {
  /** Recovery codes are accepted wherever a passcode is, except to activate a device (none exist yet). */
  acceptRecoveryCode: boolean;
  /** Activation: the winning time step also activates the pending device and turns MFA on. */
  activate?: boolean;
  /** The error for a refused code: 403 on the MFA API, 401 at the token exchange. */
  refusal: Extract<ErrorCode, 'wrong_passcode' | 'invalid_passcode'>;
}

export interface Verified {
  factor: Factor;
  /** Epoch ms of the verification. */
  atMs: number;
}

export function requireMasterKey(masterKey: Buffer | undefined): Buffer {
  if (!masterKey) throw new ApiError('mfa_unavailable');
  return masterKey;
}

async function verifyOnce(
  trx: Repositories,
  deps: SecondFactorDeps,
  user: { id: string },
  device: Device | undefined,
  input: string,
  options: VerifyOptions,
  nowMs: number,
): Promise<boolean> {
  // No TOTP device (a principal with passkeys only): its recovery codes still stand in for a second factor.
  if (!device) return options.acceptRecoveryCode && looksLikeRecoveryCode(input) && consumeRecoveryCode(trx, user.id, input, nowMs);
  if (isWellFormedPasscode(input)) {
    const seed = decryptSeed(requireMasterKey(deps.masterKey), device.secretCiphertext, device.userId);
    const step = findMatchingStep(seed, input, nowMs, {
      periodSeconds: device.periodSeconds,
      digits: device.digits,
      algorithm: device.algorithm as TotpAlgorithm,
    });
    if (step === null) return false;
    const claimed = await trx.devices.claimTimeStep(device, step, options.activate ? nowMs : undefined);
    // A code that matches but whose time step is already used (or older than the last one): a replay.
    if (!claimed) deps.events.emit('passcode.replayed', { userId: device.userId });
    return claimed;
  }
  if (options.acceptRecoveryCode && isActivated(device) && looksLikeRecoveryCode(input)) return consumeRecoveryCode(trx, device.userId, input, nowMs);
  return false;
}

/**
 * Verifies `input` for `device` and, only if it is accepted, runs `action` in the same transaction.
 * A refusal is not thrown inside the transaction: the failure count and its audit event must
 * commit, so the transaction returns and the error is thrown after. While locked, nothing is
 * verified or written and the answer is 429 with Retry-After.
 */
export async function withSecondFactor<T>(
  deps: SecondFactorDeps,
  user: { id: string; username: string },
  /** Undefined for a principal with passkeys only: then only a recovery code is accepted. */
  device: Device | undefined,
  input: string,
  options: VerifyOptions,
  action: (trx: Repositories, verified: Verified) => Promise<T>,
): Promise<T & { verified: Verified }> {
  requireMasterKey(deps.masterKey);
  await deps.passcodeGuard?.(user.id);
  const nowMs = deps.clock.now();
  const factor: Factor = isWellFormedPasscode(input) || !looksLikeRecoveryCode(input) ? 'otp' : 'recovery_code';
  const outcome = await deps.store.transaction(async (trx) => {
    const reservation = await reserveAttempt(trx, user.id, nowMs, deps.lockout);
    if (!reservation.allowed) return { kind: 'locked' as const, retryAfterSeconds: reservation.retryAfterSeconds };
    const accepted = await verifyOnce(trx, deps, user, device, input, options, nowMs);
    const audit = { user, deviceName: device?.deviceName ?? null, modifiedBy: user.username, eventDate: nowMs };
    if (!accepted) {
      await recordAuditEvent(trx, { ...audit, action: factor === 'otp' ? 'MFA_AUTHENTICATION_FAILURE' : 'MFA_RECOVERY_CODE_AUTHENTICATION_FAILURE' });
      return { kind: 'refused' as const };
    }
    await clearFailures(trx, user.id);
    await recordAuditEvent(trx, { ...audit, action: factor === 'otp' ? 'MFA_AUTHENTICATION_SUCCESS' : 'MFA_RECOVERY_CODE_AUTHENTICATION_SUCCESS' });
    const verified = { factor, atMs: nowMs };
    return { kind: 'ok' as const, value: { ...(await action(trx, verified)), verified } };
  });
  if (outcome.kind === 'locked') deps.events.emit('mfa.locked_out', { userId: user.id });
  if (outcome.kind === 'locked') throw lockedError(outcome.retryAfterSeconds);
  if (outcome.kind === 'refused') deps.events.emit('passcode.refused', { userId: user.id });
  if (outcome.kind === 'refused') throw new ApiError(options.refusal);
  return outcome.value;
}
