// The first step of a sign-in: username and password, under the principal's lockout and the shared
// per-principal attempt limit, audited when wrong (mfa/password-check.ts, the same check that confirms
// MFA operations). An unknown username costs the same scrypt run as a known one, and answers the same.
import { ApiError } from '../errors.js';
import { confirmPassword } from '../mfa/password-check.js';
import type { SecondFactorDeps } from '../mfa/second-factor.js';
import { hashPassword, verifyPassword } from '../principals/passwords.js';
import { findUserByUsername, type User } from '../principals/users.js';
import type { Services } from '../services.js';

let decoyHash: Promise<string> | undefined;
/** A real hash of nothing anybody types, so a miss takes as long as a wrong password. */
const decoy = (): Promise<string> => (decoyHash ??= hashPassword(`decoy-${Math.random()}`));

function depsOf(services: Services): SecondFactorDeps {
  const { store, clock, masterKey, events, config, limits } = services;
  return {
    store,
    clock,
    masterKey,
    events,
    lockout: { threshold: config.lockoutThreshold, lockoutSeconds: config.lockoutSeconds },
    passcodeGuard: (key) => limits.passcodeGuard(key),
  };
}

/** Usernames and passwords longer than this are refused before scrypt sees them. */
export const MAX_USERNAME_LENGTH = 255;
export const MAX_PASSWORD_LENGTH = 1024;

/** The user these credentials prove; wrong_password (same answer for an unknown name), mfa_locked or user_disabled otherwise. */
export async function checkPassword(services: Services, username: string, password: string): Promise<User> {
  if (username.length > MAX_USERNAME_LENGTH || password.length > MAX_PASSWORD_LENGTH) throw new ApiError('wrong_password');
  const user = await findUserByUsername(services.store, username);
  if (!user || user.passwordHash === null) {
    await verifyPassword(password, await decoy());
    throw new ApiError('wrong_password');
  }
  const device = await services.store.devices.findByUser(user.id);
  await confirmPassword(depsOf(services), user, device?.deviceName ?? null, password);
  // Only after the right password: a disabled account is no secret to its owner, but is to a guesser.
  if (!user.enabled) throw new ApiError('user_disabled');
  return user;
}
