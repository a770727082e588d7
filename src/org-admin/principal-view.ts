// What an org admin sees of one principal: its MFA facts and, under the policy, when its enrolment is due.
import { enrolmentDueAt, requiresAnything, type StoredPolicy } from '../orgs/policy.js';
import type { OrgPrincipalRow } from '../storage/repositories/org-principals.js';
import type { OrgPrincipalDto } from './dtos.js';

/** `authenticatorTypes` follows orgs/authenticators.ts: an activated TOTP device is the one kind stored today. */
export function toOrgPrincipalDto(row: OrgPrincipalRow, stored: StoredPolicy | undefined, nowMs: number): OrgPrincipalDto {
  const activated = row.activatedAt !== null;
  const types = activated ? ['totp' as const] : [];
  const exempt = stored?.policy.exemptUsernames.includes(row.username) ?? false;
  const due = stored && requiresAnything(stored.policy) && !exempt && !activated ? enrolmentDueAt(stored, row.graceFrom) : null;
  return {
    username: row.username,
    domain: row.domain,
    role: row.role,
    activated,
    turnedOn: activated && row.turnedOn,
    pending: row.deviceName !== null && !activated,
    authenticatorCount: types.length,
    authenticatorTypes: types,
    recoveryCodesLeft: row.recoveryCodesLeft,
    lockedUntil: row.lockedUntil !== null && row.lockedUntil > nowMs ? row.lockedUntil : null,
    // The start of the last TOTP time step accepted (a sign-in or a confirmed operation).
    lastMfaUse: row.lastUsedStep !== null && row.periodSeconds !== null ? row.lastUsedStep * row.periodSeconds * 1000 : null,
    enrolmentDueAt: due,
    exempt,
  };
}
