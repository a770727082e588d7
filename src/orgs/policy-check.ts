// Applying an organization's MFA policy to one principal: at a sign-in or an API-token exchange
// (checkMfaPolicy), and when the principal would drop MFA (assertMayDropMfa).
import type { Clock } from '../clock.js';
import { ApiError } from '../errors.js';
import type { Store } from '../storage/database.js';
import type { User } from '../storage/repositories/principals.js';
import { authenticatorOfAmr, listActivatedAuthenticators } from './authenticators.js';
import { enrolmentDueAt, type PolicyScope, requiresAnything, type StoredPolicy } from './policy.js';
import { toStoredPolicy } from './policy-store.js';
import { type OrgRole, toOrgRole } from './roles.js';

export interface PolicyDeps {
  store: Store;
  clock: Clock;
}

export interface PolicyDecision {
  /** The principal's role in its organization (for the token's perms). */
  role: OrgRole;
  /** Set while the principal is inside its grace period: when enrolment is due (epoch ms). */
  enrolmentDueAt?: number;
}

const isExempt = (stored: StoredPolicy, user: Pick<User, 'username'>): boolean => stored.policy.exemptUsernames.includes(user.username);

/**
 * The policy step of a sign-in (`scope`): `amr` is the second factor the principal has just proved (empty when
 * it signed in without one). Passes when nothing is required, the principal is exempt, or the second factor came
 * from an allowed authenticator; inside the grace period it passes with the due date; after it, 403
 * mfa_enrollment_required. One read (role, creation time and policy together). Service accounts never come here:
 * they have no MFA, and their grant does not call it.
 */
export async function checkMfaPolicy(deps: PolicyDeps, user: User, scope: PolicyScope, amr: readonly string[]): Promise<PolicyDecision> {
  const context = await deps.store.orgPolicies.findPrincipalContext(user.id);
  const role = toOrgRole(context?.role);
  if (!context?.policy) return { role };
  const stored = toStoredPolicy(context.policy);
  if (!stored.policy.mfaRequired[scope] || isExempt(stored, user)) return { role };
  const used = authenticatorOfAmr(amr);
  if (used !== undefined && stored.policy.allowedAuthenticators.includes(used)) return { role };
  const dueAt = enrolmentDueAt(stored, context.graceFrom);
  if (dueAt !== null && deps.clock.now() < dueAt) return { role, enrolmentDueAt: dueAt };
  throw new ApiError('mfa_enrollment_required');
}

/**
 * Refuses (403 mfa_required_by_policy) to turn MFA off, or to remove an activated authenticator that is the
 * principal's last one, while its organization requires MFA anywhere and the principal is not exempt.
 */
export async function assertMayDropMfa(deps: PolicyDeps, user: User, change: 'turn_off' | 'remove_totp'): Promise<void> {
  const record = await deps.store.orgPolicies.find(user.orgId);
  if (!record) return;
  const stored = toStoredPolicy(record);
  if (!requiresAnything(stored.policy) || isExempt(stored, user)) return;
  const { types } = await listActivatedAuthenticators(deps.store, user.id);
  // Nothing activated: nothing to drop (the route answers its own 404).
  if (types.length === 0) return;
  if (change === 'remove_totp') {
    // A pending device proves nothing yet: removing it leaves the principal no worse off.
    if (!types.includes('totp')) return;
    const remaining = types.filter((t) => t !== 'totp' && stored.policy.allowedAuthenticators.includes(t));
    if (remaining.length > 0) return;
  }
  throw new ApiError('mfa_required_by_policy');
}
