// The principal's MFA state as CSP reports it (UserMfaStatusDto), over every kind of authenticator.
import type { User } from '../principals/users.js';
import type { Store } from '../storage/database.js';
import type { DeviceState } from '../storage/repositories/devices.js';
import type { UserMfaStatus } from './dtos.js';

export type { UserMfaStatus };

/**
 * The status of a user with this TOTP device state (undefined: none) and the name of its first registered
 * passkey (undefined: none). CSP's shape stays exact (docs/mfa.md, "Several authenticators"):
 * - activated: at least one activated authenticator (an activated TOTP device, or any passkey);
 * - turnedOn: the TOTP device's switch while it is activated; a principal with passkeys only has MFA on
 *   while it has one (removing the last turns it off);
 * - deviceName: the activated TOTP device's name, else the first registered passkey's.
 * A pending (not yet activated) TOTP device is not shown.
 */
export function toMfaStatus(user: User, device: DeviceState | undefined, firstPasskeyName?: string): UserMfaStatus {
  if (device && device.activatedAt !== null) return { activated: true, deviceName: device.deviceName, turnedOn: device.turnedOn, username: user.username };
  if (firstPasskeyName !== undefined) return { activated: true, deviceName: firstPasskeyName, turnedOn: true, username: user.username };
  return { activated: false, turnedOn: false, username: user.username };
}

/** Whether the status needs the passkeys too: only when no activated TOTP device decides it. */
export const needsPasskeyName = (device: DeviceState | undefined): boolean => !device || device.activatedAt === null;

/**
 * The status read from the store now. The status route's hot path does not come here: for our own tokens the gate
 * read the device and the first passkey with the user, in the same statement (request.principalState).
 */
export async function getMfaStatus(store: Store, user: User): Promise<UserMfaStatus> {
  const device = await store.devices.findState(user.id);
  const passkeyName = needsPasskeyName(device) ? await store.webauthnCredentials.findFirstName(user.id) : undefined;
  return toMfaStatus(user, device, passkeyName);
}
