// A principal's MFA state across its repositories: the device, the recovery codes (stored hashed) and the lockout.
import type { Device } from '../storage/repositories/devices.js';
import type { Repositories } from '../storage/repositories/index.js';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.js';

export type { Device };

export const isActivated = (device: Pick<Device, 'activatedAt'>): boolean => device.activatedAt !== null;

/** Replaces the principal's recovery codes with a fresh set; returns the codes, shown once. */
export async function replaceRecoveryCodes(repos: Pick<Repositories, 'recoveryCodes'>, userId: string, nowMs: number): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await repos.recoveryCodes.replaceForUser(
    userId,
    codes.map((code) => hashRecoveryCode(normalizeRecoveryCode(code)!)),
    nowMs,
  );
  return codes;
}

/** Spends one unused code; false for anything that is not one (a code can be spent only once). */
export async function consumeRecoveryCode(repos: Pick<Repositories, 'recoveryCodes'>, userId: string, input: string, nowMs: number): Promise<boolean> {
  const normalized = normalizeRecoveryCode(input);
  if (normalized === null) return false;
  return repos.recoveryCodes.consume(userId, hashRecoveryCode(normalized), nowMs);
}

/** Removes the device, the passkeys, the recovery codes and the failure count: the principal starts from scratch. */
export async function deleteMfaState(repos: Repositories, userId: string): Promise<void> {
  await repos.webauthnChallenges.deleteForUser(userId);
  await repos.webauthnCredentials.deleteForUser(userId);
  await repos.recoveryCodes.deleteForUser(userId);
  await repos.devices.deleteForUser(userId);
  await repos.lockouts.deleteForUser(userId);
}
