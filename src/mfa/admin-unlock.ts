// Admin unlock (CLI): lifts a lockout and clears the failure counts; keeps the device and recovery codes.
import { ADMIN_ACTOR, recordAuditEvent } from '../audit/record.js';
import type { Clock } from '../clock.js';
import type { User } from '../principals/users.js';
import type { Store } from '../storage/database.js';
import { unlockPrincipal } from './lockout.js';

/** Returns whether the principal was locked; only an actual unlock is audited (MFA_UNLOCK by admin). */
export async function unlockMfa(store: Store, clock: Clock, user: User): Promise<{ unlocked: boolean }> {
  return store.transaction(async (trx) => {
    const nowMs = clock.now();
    const unlocked = await unlockPrincipal(trx, user.id, nowMs);
    if (unlocked) {
      const device = await trx.devices.findByUser(user.id);
      await recordAuditEvent(trx, { user, action: 'MFA_UNLOCK', deviceName: device?.deviceName ?? null, modifiedBy: ADMIN_ACTOR, eventDate: nowMs });
    }
    return { unlocked };
  });
}
