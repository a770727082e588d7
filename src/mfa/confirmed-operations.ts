// The operations a password or a recent second factor must confirm: turn MFA on/off, remove the device,
// new recovery codes. Step-up (RFC 9470): a current passcode in the body, or a token whose second factor is recent.
import { recordAuditEvent } from '../audit/record.js';
import { ApiError } from '../errors.js';
import { holdMfaFloor } from '../orgs/policy-check.js';
import type { User } from '../principals/users.js';
import type { Repositories } from '../storage/repositories/index.js';
import { deleteMfaState, type Device, isActivated, replaceRecoveryCodes } from './device-store.js';
import type { MfaDeps } from './devices.js';
import { confirmPassword } from './password-check.js';
import { looksLikeRecoveryCode } from './recovery-codes.js';
import { withSecondFactor } from './second-factor.js';
import { hasRecentSecondFactor, insufficientUserAuthentication, type StepUpFactor, type TokenAuthentication } from './step-up.js';

/** What the request brings to confirm the operation: body fields and the access token's own proof. */
export interface Confirmation {
  password?: string;
  passcode?: string;
  token: TokenAuthentication;
}

/** A passcode, a recovery code or a passkey at a recent sign-in: each proves a second factor. */
export const ANY_SECOND_FACTOR: readonly StepUpFactor[] = ['otp', 'recovery_code', 'hwk', 'swk'];
export const STEP_UP = 'This operation needs a recent second factor: send a current passcode, or sign in again with a passcode.';
// One recovery code must not buy ten new ones: only the device itself (now, or at a recent sign-in) may.
const STEP_UP_DEVICE = 'New recovery codes need the MFA device: send a current passcode, or sign in again with a passcode (not a recovery code).';

export const isGiven = (value: string | undefined): value is string => value !== undefined && value !== '';
export const hasPassword = (user: User): boolean => user.passwordHash !== null;

export function requireStepUp(deps: MfaDeps, token: TokenAuthentication, factors: readonly StepUpFactor[], description: string): void {
  if (!hasRecentSecondFactor(token, factors, deps.clock.now(), deps.stepUpMaxAgeSeconds))
    throw insufficientUserAuthentication(description, deps.stepUpMaxAgeSeconds);
}

/**
 * Runs `change` confirmed by the body's passcode when there is one (verified in the same transaction),
 * else on its own: the caller has already checked the token's step-up where it is needed.
 */
async function runConfirmed<T extends object>(
  deps: MfaDeps,
  user: User,
  device: Device,
  passcode: string | undefined,
  acceptRecoveryCode: boolean,
  change: (trx: Repositories, atMs: number) => Promise<T>,
): Promise<T> {
  if (passcode === undefined) return deps.store.transaction((trx) => change(trx, deps.clock.now()));
  return withSecondFactor(deps, user, device, passcode, { acceptRecoveryCode, refusal: 'wrong_passcode' }, (trx, { atMs }) => change(trx, atMs));
}

/**
 * CSP's PATCH …/mfa: only turnedOn changes, the password confirms it; it switches the activated TOTP device
 * (with passkeys only: confirmPasskeysOn).
 * Turning MFA off also needs a recent second factor. A principal without a password (none was ever
 * set) confirms either direction with a recent second factor alone.
 */
export async function setMfaTurnedOn(deps: MfaDeps, user: User, proof: Confirmation, turnedOn: boolean): Promise<{ turnedOn: boolean }> {
  const device = await deps.store.devices.findByUser(user.id);
  if (!device || !isActivated(device)) return confirmPasskeysOn(deps, user, proof, turnedOn);
  if (hasPassword(user) && !isGiven(proof.password)) throw new ApiError('invalid_request', 'password is required.');
  if ((!turnedOn || !hasPassword(user)) && proof.passcode === undefined) requireStepUp(deps, proof.token, ANY_SECOND_FACTOR, STEP_UP);
  if (isGiven(proof.password)) await confirmPassword(deps, user, device.deviceName, proof.password);
  await runConfirmed(deps, user, device, proof.passcode, true, async (trx, atMs) => {
    if (!turnedOn) await holdMfaFloor(trx, user, 'turn_off');
    // Already in the requested state: nothing changed, so nothing to audit.
    if (await trx.devices.setTurnedOn(user.id, turnedOn)) {
      await recordAuditEvent(trx, {
        user,
        action: turnedOn ? 'MFA_ENABLE' : 'MFA_DISABLE',
        deviceName: device.deviceName,
        modifiedBy: user.username,
        eventDate: atMs,
      });
    }
    return {};
  });
  return { turnedOn };
}

/**
 * The switch of a principal without an activated TOTP device. With passkeys its status is activated and on
 * (mfa/status.ts), so the answer is about that MFA, not CSP's 404 "no MFA details": on is confirmed as for a
 * device (password, or a recent second factor without one) and changes nothing; off is 409
 * mfa_on_by_passkeys, because CSP's turnedOn is the TOTP device's switch and there is none to turn (removing
 * the passkeys turns MFA off; adding a TOTP device brings the switch). docs/mfa.md "The switch with passkeys only".
 */
async function confirmPasskeysOn(deps: MfaDeps, user: User, proof: Confirmation, turnedOn: boolean): Promise<{ turnedOn: boolean }> {
  const passkeyName = await deps.store.webauthnCredentials.findFirstName(user.id);
  if (passkeyName === undefined) throw new ApiError('mfa_device_not_found', 'MFA is not activated for this principal.');
  if (hasPassword(user) && !isGiven(proof.password)) throw new ApiError('invalid_request', 'password is required.');
  // Refused before the password is tried: a request that cannot succeed is not a guess.
  if (!turnedOn) throw new ApiError('mfa_on_by_passkeys');
  if (!hasPassword(user)) requireStepUp(deps, proof.token, ANY_SECOND_FACTOR, STEP_UP);
  if (isGiven(proof.password)) await confirmPassword(deps, user, passkeyName, proof.password);
  return { turnedOn: true };
}

/**
 * Removes the device (pending or activated) and the recovery codes. Confirmed by a passcode or recovery
 * code alone, or by the password plus (for an activated device) a recent second factor of the token.
 */
export async function removeDevice(deps: MfaDeps, user: User, proof: Confirmation): Promise<void> {
  if (isGiven(proof.password) && proof.passcode !== undefined) throw new ApiError('invalid_request', 'Send either password or passcode.');
  if (hasPassword(user) && !isGiven(proof.password) && proof.passcode === undefined) throw new ApiError('invalid_request', 'Send either password or passcode.');
  const device = await deps.store.devices.findByUser(user.id);
  if (!device) throw new ApiError('mfa_device_not_found');
  if (proof.passcode === undefined) {
    if (isActivated(device) || !hasPassword(user)) requireStepUp(deps, proof.token, ANY_SECOND_FACTOR, STEP_UP);
    if (isGiven(proof.password)) await confirmPassword(deps, user, device.deviceName, proof.password);
  }
  await runConfirmed(deps, user, device, proof.passcode, true, async (trx, atMs) => {
    await holdMfaFloor(trx, user, 'remove_totp');
    // With passkeys left MFA stays on: their recovery codes and the failure count stay too.
    if ((await trx.webauthnCredentials.countForUser(user.id)) > 0) await trx.devices.deleteForUser(user.id);
    else await deleteMfaState(trx, user.id);
    if (isActivated(device))
      await recordAuditEvent(trx, { user, action: 'MFA_DEACTIVATION', deviceName: device.deviceName, modifiedBy: user.username, eventDate: atMs });
    return {};
  });
}

/** A new set of recovery codes; the previous set stops working. Needs the device: a TOTP passcode, or a recent sign-in with one. */
export async function regenerateRecoveryCodes(deps: MfaDeps, user: User, proof: Omit<Confirmation, 'password'>): Promise<{ recoveryCodes: string[] }> {
  const device = await deps.store.devices.findByUser(user.id);
  if (!device || !isActivated(device)) throw new ApiError('mfa_device_not_found', 'MFA is not activated for this principal.');
  // Refused before any verification: the code is not spent, and sending one is not a guess.
  if (proof.passcode !== undefined && looksLikeRecoveryCode(proof.passcode))
    throw new ApiError('invalid_request', 'A recovery code cannot make new recovery codes: send a passcode from the MFA device.');
  if (proof.passcode === undefined) requireStepUp(deps, proof.token, ['otp'], STEP_UP_DEVICE);
  const { recoveryCodes } = await runConfirmed(deps, user, device, proof.passcode, false, async (trx, atMs) => {
    const codes = await replaceRecoveryCodes(trx, user.id, atMs);
    await recordAuditEvent(trx, { user, action: 'MFA_RECOVERY_CODES_GENERATION', deviceName: device.deviceName, modifiedBy: user.username, eventDate: atMs });
    return { recoveryCodes: codes };
  });
  return { recoveryCodes };
}
