// What an org admin sees of one principal: its MFA facts and, under the policy, when its enrolment is due.
import type { AuthenticatorType } from '../orgs/policy.js';
import { enrolmentDueAt, requiresAnything, type StoredPolicy } from '../orgs/policy.js';
import type { OrgPrincipalRow } from '../storage/repositories/org-principals.js';
import type { OrgPrincipalDto } from './dtos.js';

const latest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

/**
 * The authenticators follow orgs/authenticators.ts (the activated TOTP device and every passkey), and MFA is on
 * as the status DTO says: the activated TOTP device's switch, else while a passkey is registered. `pending`
 * (a TOTP device registered, not activated) is set only when nothing else protects the principal, as in the
 * `mfa=pending` filter.
 */
export function toOrgPrincipalDto(row: OrgPrincipalRow, stored: StoredPolicy | undefined, nowMs: number): OrgPrincipalDto {
  const totpActivated = row.activatedAt !== null;
  const types: AuthenticatorType[] = [...(totpActivated ? ['totp' as const] : []), ...(row.passkeyCount > 0 ? ['webauthn' as const] : [])];
  const activated = types.length > 0;
  const exempt = stored?.policy.exemptUsernames.includes(row.username) ?? false;
  const allowedHeld = stored !== undefined && types.some((t) => stored.policy.allowedAuthenticators.includes(t));
  const due = stored && requiresAnything(stored.policy) && !exempt && !allowedHeld ? enrolmentDueAt(stored, row.graceFrom) : null;
  // The start of the last TOTP time step accepted (a sign-in or a confirmed operation), or a later passkey use.
  const lastTotpUse = row.lastUsedStep !== null && row.periodSeconds !== null ? row.lastUsedStep * row.periodSeconds * 1000 : null;
  return {
    username: row.username,
    domain: row.domain,
    role: row.role,
    activated,
    turnedOn: totpActivated ? row.turnedOn : activated,
    pending: row.deviceName !== null && !activated,
    authenticatorCount: (totpActivated ? 1 : 0) + row.passkeyCount,
    authenticatorTypes: types,
    recoveryCodesLeft: row.recoveryCodesLeft,
    lockedUntil: row.lockedUntil !== null && row.lockedUntil > nowMs ? row.lockedUntil : null,
    lastMfaUse: latest(lastTotpUse, row.passkeyLastUsedAt),
    enrolmentDueAt: due,
    exempt,
  };
}
