// Applying an organization's MFA policy to one principal: at a sign-in or an API-token exchange
// (checkMfaPolicy), and when the principal would drop MFA (assertMayDropMfa, then holdMfaFloor in the change's transaction).
import type { Clock } from '../clock.js';
import { ApiError } from '../errors.js';
import type { Store } from '../storage/database.js';
import type { Repositories } from '../storage/repositories/index.js';
import type { User } from '../storage/repositories/principals.js';
import { authenticatorOfAmr, listActivatedAuthenticators } from './authenticators.js';
import { AUTHENTICATOR_TYPES, type AuthenticatorType, enrolmentDueAt, type PolicyScope, requiresAnything, type StoredPolicy } from './policy.js';
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

/** The kinds of authenticator by the names a person sees on the /mfa page. */
const KIND_NAMES: Record<AuthenticatorType, string> = { totp: 'a TOTP authenticator app', webauthn: 'a passkey or security key' };

/** The refusal after the grace period; it names the kinds the organization accepts when it does not accept every kind. */
function enrolmentRequired(stored: StoredPolicy): ApiError {
  const allowed = stored.policy.allowedAuthenticators;
  if (AUTHENTICATOR_TYPES.every((t) => allowed.includes(t))) return new ApiError('mfa_enrollment_required');
  const kinds = allowed.map((t) => `${KIND_NAMES[t]} (${t === 'totp' ? 'TOTP' : 'WebAuthn'})`).join(' or ');
  // The interactive sign-in sets up a TOTP device on the way (signin/enrolment.ts); a passkey is registered on /mfa only.
  const how = allowed.includes('totp')
    ? 'Sign in on the /mfa page (or to any application): the sign-in sets up an authenticator app first.'
    : 'Ask an organization admin to exempt you for a moment, then register one on the /mfa page.';
  return new ApiError('mfa_enrollment_required', `Your organization requires MFA with ${kinds} only, and your enrolment period has ended. ${how}`);
}

/**
 * Whether the second factor just proved satisfies the policy: a TOTP code or a passkey when its kind is allowed;
 * a recovery code when the principal holds an activated authenticator of an allowed kind (the codes stand for
 * the authenticators they back up, so they do not open a way around `allowedAuthenticators`).
 */
async function satisfiesPolicy(deps: PolicyDeps, user: User, stored: StoredPolicy, amr: readonly string[]): Promise<boolean> {
  const used = authenticatorOfAmr(amr);
  if (used === undefined) return false;
  const allowed = stored.policy.allowedAuthenticators;
  if (used !== 'recovery_code') return allowed.includes(used);
  const { types } = await listActivatedAuthenticators(deps.store, user.id);
  return types.some((t) => allowed.includes(t));
}

/**
 * The policy step of a sign-in (`scope`): `amr` is the second factor the principal has just proved (empty when
 * it signed in without one). Passes when nothing is required, the principal is exempt, or the second factor
 * satisfies the policy (satisfiesPolicy); inside the grace period it passes with the due date; after it, 403
 * mfa_enrollment_required. One read (role, creation time and policy together), one more for a recovery code.
 * Service accounts never come here: they have no MFA, and their grant does not call it.
 */
export async function checkMfaPolicy(deps: PolicyDeps, user: User, scope: PolicyScope, amr: readonly string[]): Promise<PolicyDecision> {
  const context = await deps.store.orgPolicies.findPrincipalContext(user.id);
  const role = toOrgRole(context?.role);
  if (!context?.policy) return { role };
  const stored = toStoredPolicy(context.policy);
  if (!stored.policy.mfaRequired[scope] || isExempt(stored, user)) return { role };
  if (await satisfiesPolicy(deps, user, stored, amr)) return { role };
  const dueAt = enrolmentDueAt(stored, context.graceFrom);
  if (dueAt !== null && deps.clock.now() < dueAt) return { role, enrolmentDueAt: dueAt };
  throw enrolmentRequired(stored);
}

/** What a principal is about to do that could leave it without MFA: a passkey is named by its authenticator id. */
export type MfaDrop = 'turn_off' | 'remove_totp' | { removePasskey: string };

type DropReads = Pick<Repositories, 'orgPolicies' | 'devices' | 'webauthnCredentials'>;

/**
 * Refuses (403 mfa_required_by_policy) to turn MFA off, or to remove an authenticator when no activated
 * authenticator of an allowed kind would remain, while its organization requires MFA anywhere and the principal
 * is not exempt. Removing what is not there (a pending TOTP device, an unknown passkey) is left to the removal
 * itself (it leaves the principal no worse off, or answers 404).
 */
export async function assertMayDropMfa(store: DropReads, user: User, change: MfaDrop): Promise<void> {
  const record = await store.orgPolicies.find(user.orgId);
  if (!record) return;
  const stored = toStoredPolicy(record);
  if (!requiresAnything(stored.policy) || isExempt(stored, user)) return;
  const allowed = stored.policy.allowedAuthenticators;
  const { types, passkeys } = await listActivatedAuthenticators(store, user.id);
  // Nothing activated: nothing to drop (the route answers its own 404).
  if (types.length === 0) return;
  if (change === 'turn_off') throw new ApiError('mfa_required_by_policy');
  let totpLeft = types.includes('totp') ? 1 : 0;
  let passkeysLeft = passkeys;
  if (change === 'remove_totp') {
    if (totpLeft === 0) return;
    totpLeft = 0;
  } else {
    if (!(await store.webauthnCredentials.findById(user.id, change.removePasskey))) return;
    passkeysLeft -= 1;
  }
  const remaining = (allowed.includes('totp') ? totpLeft : 0) + (allowed.includes('webauthn') ? passkeysLeft : 0);
  if (remaining === 0) throw new ApiError('mfa_required_by_policy');
}

/**
 * The same check inside the transaction that makes the change, with the principal's row held: the routes'
 * early check answers before any confirmation is asked for, but two removals running side by side could
 * each pass it (each alone leaves one authenticator); only one of them passes this one.
 */
export async function holdMfaFloor(trx: Repositories, user: User, change: MfaDrop): Promise<void> {
  await trx.principals.lockForChange(user.id);
  await assertMayDropMfa(trx, user, change);
}
