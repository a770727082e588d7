// What counts as an authenticator for the policy, in one place: the activated TOTP device and the passkeys.
import type { Store } from '../storage/database.js';
import type { AuthenticatorType } from './policy.js';

export interface ActivatedAuthenticators {
  /** The activated TOTP device (0 or 1) plus every WebAuthn credential. */
  count: number;
  /** The kinds among them, each once: 'totp' first, then 'webauthn'. */
  types: AuthenticatorType[];
  /** How many WebAuthn credentials (passkeys, security keys) the principal has. */
  passkeys: number;
}

/**
 * The principal's activated authenticators: the TOTP device once its first code activated it (a pending one
 * proves nothing yet), and every registered passkey (a passkey is active from its registration).
 */
export async function listActivatedAuthenticators(store: Pick<Store, 'devices' | 'webauthnCredentials'>, userId: string): Promise<ActivatedAuthenticators> {
  const [totp, passkeys] = await Promise.all([store.devices.findState(userId), store.webauthnCredentials.countForUser(userId)]);
  const types: AuthenticatorType[] = totp && totp.activatedAt !== null ? ['totp'] : [];
  if (passkeys > 0) types.push('webauthn');
  return { count: (types.includes('totp') ? 1 : 0) + passkeys, types, passkeys };
}

/**
 * The authenticator a second factor (`amr`, RFC 8176) came from: a TOTP code is the TOTP device's; `hwk`
 * (a device-bound key) and `swk` (a synced passkey) are WebAuthn. A recovery code has no authenticator of
 * its own (it stands for the principal's enrolled ones): 'recovery_code'.
 */
export function authenticatorOfAmr(amr: readonly string[]): AuthenticatorType | 'recovery_code' | undefined {
  if (amr.includes('otp')) return 'totp';
  if (amr.includes('hwk') || amr.includes('swk')) return 'webauthn';
  if (amr.includes('recovery_code')) return 'recovery_code';
  return undefined;
}
