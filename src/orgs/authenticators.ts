// What counts as an authenticator for the policy: one function, so that passkeys (issue 12) add theirs here.
import type { Store } from '../storage/database.js';
import type { AuthenticatorType } from './policy.js';

export interface ActivatedAuthenticators {
  count: number;
  types: AuthenticatorType[];
}

/** The principal's activated authenticators: today the TOTP device once its first code activated it. */
export async function listActivatedAuthenticators(store: Pick<Store, 'devices'>, userId: string): Promise<ActivatedAuthenticators> {
  const totp = await store.devices.findState(userId);
  const types: AuthenticatorType[] = totp && totp.activatedAt !== null ? ['totp'] : [];
  return { count: types.length, types };
}

/** The authenticator a second factor (`amr`) came from: TOTP codes and recovery codes both belong to the TOTP device. */
export function authenticatorOfAmr(amr: readonly string[]): AuthenticatorType | undefined {
  if (amr.includes('otp') || amr.includes('recovery_code')) return 'totp';
  // A passkey is hwk, or swk when synced (backed up): both are the webauthn kind.
  if (amr.includes('hwk') || amr.includes('swk') || amr.includes('webauthn')) return 'webauthn';
  return undefined;
}
