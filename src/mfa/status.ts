// The principal's MFA state as CSP reports it (UserMfaStatusDto).
import type { User } from '../principals/users.js';
import type { Store } from '../storage/database.js';
import type { DeviceState } from '../storage/repositories/devices.js';
import type { UserMfaStatus } from './dtos.js';

export type { UserMfaStatus };

/**
 * The status of a user with this device state (undefined: no device). A pending (not yet activated) device
 * is not shown: CSP's deviceName is the activated device's.
 */
export function toMfaStatus(user: User, device: DeviceState | undefined): UserMfaStatus {
  if (!device || device.activatedAt === null) return { activated: false, turnedOn: false, username: user.username };
  return { activated: true, deviceName: device.deviceName, turnedOn: device.turnedOn, username: user.username };
}

/**
 * The status read from the store now. The status route's hot path does not come here: the gate has read
 * the device state with the user, in the same statement (request.principalState).
 */
export async function getMfaStatus(store: Store, user: User): Promise<UserMfaStatus> {
  return toMfaStatus(user, await store.devices.findState(user.id));
}
