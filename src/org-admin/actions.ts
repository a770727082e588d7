// What an org admin does to a principal: unlock (keeps the device and codes) and reset (removes them),
// each with its principal audit event and its org audit event in one transaction, the admin as actor.
import { recordAuditEvent } from '../audit/record.js';
import type { Clock } from '../clock.js';
import { deleteMfaState } from '../mfa/device-store.js';
import { unlockPrincipal } from '../mfa/lockout.js';
import { recordOrgEvent } from '../orgs/org-audit.js';
import type { Store } from '../storage/database.js';
import type { User } from '../storage/repositories/principals.js';

export async function unlockByOrgAdmin(store: Store, clock: Clock, target: User, actor: string): Promise<{ unlocked: boolean }> {
  return store.transaction(async (trx) => {
    const nowMs = clock.now();
    const unlocked = await unlockPrincipal(trx, target.id, nowMs);
    const device = await trx.devices.findByUser(target.id);
    if (unlocked)
      await recordAuditEvent(trx, { user: target, action: 'MFA_UNLOCK', deviceName: device?.deviceName ?? null, modifiedBy: actor, eventDate: nowMs });
    await recordOrgEvent(trx, {
      orgId: target.orgId,
      actor,
      action: 'ORG_PRINCIPAL_UNLOCK',
      targetUsername: target.username,
      detail: { unlocked },
      eventDate: nowMs,
    });
    return { unlocked };
  });
}

/**
 * Removes the device, recovery codes and lockout, and restarts the principal's grace period, so that a
 * principal whose organization requires MFA can sign in once more and enrol a new device.
 */
export async function resetByOrgAdmin(store: Store, clock: Clock, target: User, actor: string, reason: string): Promise<{ removed: boolean }> {
  return store.transaction(async (trx) => {
    const nowMs = clock.now();
    const device = await trx.devices.findByUser(target.id);
    await deleteMfaState(trx, target.id);
    await trx.orgPolicies.restartGrace(target.id, nowMs);
    if (device) await recordAuditEvent(trx, { user: target, action: 'MFA_DEACTIVATION', deviceName: device.deviceName, modifiedBy: actor, eventDate: nowMs });
    await recordOrgEvent(trx, {
      orgId: target.orgId,
      actor,
      action: 'ORG_PRINCIPAL_RESET',
      targetUsername: target.username,
      detail: { reason, removed: device !== undefined },
      eventDate: nowMs,
    });
    return { removed: device !== undefined };
  });
}
