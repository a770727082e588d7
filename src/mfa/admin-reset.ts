// Admin reset (CLI): removes a principal's device, passkeys, recovery codes and lockout, audited as 'admin'.
import { ADMIN_ACTOR, recordAuditEvent } from '../audit/record.js';
import type { Clock } from '../clock.js';
import type { User } from '../principals/users.js';
import type { Store } from '../storage/database.js';
import { deleteMfaState } from './device-store.js';

/** Returns whether a device was removed. The audit event commits with the removal or not at all. */
export async function resetMfa(store: Store, clock: Clock, user: User): Promise<{ removed: boolean; deviceName?: string }> {
  return store.transaction(async (trx) => {
    const device = await trx.devices.findByUser(user.id);
    const passkeyName = await trx.webauthnCredentials.findFirstName(user.id);
    await deleteMfaState(trx, user.id);
    if (!device) {
      if (passkeyName === undefined) return { removed: false };
      await recordAuditEvent(trx, { user, action: 'MFA_DEACTIVATION', deviceName: passkeyName, modifiedBy: ADMIN_ACTOR, eventDate: clock.now() });
      return { removed: true, deviceName: passkeyName };
    }
    await recordAuditEvent(trx, { user, action: 'MFA_DEACTIVATION', deviceName: device.deviceName, modifiedBy: ADMIN_ACTOR, eventDate: clock.now() });
    return { removed: true, deviceName: device.deviceName };
  });
}
