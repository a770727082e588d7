// The principal's MFA state as CSP reports it (UserMfaStatusDto).
import type { User } from '../principals/users.js';
import type { Store } from '../storage/database.js';
import type { UserMfaStatus } from './dtos.js';

export type { UserMfaStatus };

/**
 * Hot path of the status endpoint: the devices repository's state read is the driver's prepared statement
 * (behind a cache that any commit empties, on SQLite). A pending (not yet activated) device is not shown:
 * CSP's deviceName is the activated device's.
 */
export async function getMfaStatus(store: Store, user: User): Promise<UserMfaStatus> {
  const device = await store.devices.findState(user.id);
  if (!device || device.activatedAt === null) return { activated: false, turnedOn: false, username: user.username };
  return { activated: true, deviceName: device.deviceName, turnedOn: device.turnedOn, username: user.username };
}
