// What the page may show from its own access token: the organization, its role and the enrolment deadline.
// Read for display only; the server decides everything again on each call.
import { readAccessToken } from './session.js';

/** @returns {{orgId: string, isOrgAdmin: boolean, enrolmentDueAt: number | null}} */
export function orgClaims() {
  const token = readAccessToken() ?? '';
  /** @type {any} */
  let claims = {};
  try {
    const payload = token.split('.')[1] ?? '';
    claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    claims = {};
  }
  const perms = Array.isArray(claims.perms) ? claims.perms : [];
  return {
    orgId: typeof claims.context === 'string' ? claims.context : '',
    isOrgAdmin: perms.includes('csp:org_owner') || perms.includes('csp:org_admin'),
    enrolmentDueAt: typeof claims.mfa_enrollment_due === 'number' ? claims.mfa_enrollment_due * 1000 : null,
  };
}
