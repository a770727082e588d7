// Granting a principal its organization role; audited as ORG_ROLE_GRANT with the actor.
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';
import type { User } from '../storage/repositories/principals.js';
import { recordOrgEvent } from './org-audit.js';
import type { OrgRole } from './roles.js';

/** The role shows in `perms` from the principal's next token on; the org admin API checks the stored role at once. */
export function grantOrgRole(store: Store, clock: Clock, user: User, role: OrgRole, actor: string): Promise<void> {
  return store.transaction(async (trx) => {
    await trx.orgPolicies.setRole(user.id, role);
    await recordOrgEvent(trx, { orgId: user.orgId, actor, action: 'ORG_ROLE_GRANT', targetUsername: user.username, detail: { role }, eventDate: clock.now() });
  });
}
