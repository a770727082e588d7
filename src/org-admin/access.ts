// Who may use the organization admin API: an org owner or admin of that very organization, by both the token
// (perms and context, signed here) and the stored role (so a demotion wins before the token expires).
import type { FastifyRequest } from 'fastify';
import { claimsOf, principalOf } from '../auth/request-principal.js';
import { ApiError } from '../errors.js';
import { hasRecentSecondFactor, insufficientUserAuthentication, tokenAuthentication } from '../mfa/step-up.js';
import { isOrgAdminRole, toOrgRole } from '../orgs/roles.js';
import type { Services } from '../services.js';
import type { User } from '../storage/repositories/principals.js';

const ADMIN_PERMS = ['csp:org_owner', 'csp:org_admin'];

export async function requireOrgAdmin(services: Services, request: FastifyRequest, orgId: string): Promise<User> {
  const claims = claimsOf(request);
  const actor = principalOf(request);
  const tokenSays =
    claims.iss === services.config.issuer && claims.context === orgId && Array.isArray(claims.perms) && claims.perms.some((p) => ADMIN_PERMS.includes(p));
  if (!tokenSays || actor.orgId !== orgId) throw new ApiError('org_admin_required');
  const context = await services.store.orgPolicies.findPrincipalContext(actor.id);
  if (!isOrgAdminRole(toOrgRole(context?.role))) throw new ApiError('org_admin_required');
  return actor;
}

const STEP_UP = 'This organization admin operation needs a recent second factor: sign in again with a passcode.';

/** RFC 9470 step-up for the dangerous calls (policy change, unlock, reset), as the principal API asks it. */
export function requireStepUp(services: Services, request: FastifyRequest): void {
  const token = tokenAuthentication(claimsOf(request), services.config.issuer);
  const maxAge = services.config.stepUpMaxAgeSeconds;
  if (!hasRecentSecondFactor(token, ['otp', 'recovery_code'], services.clock.now(), maxAge)) throw insufficientUserAuthentication(STEP_UP, maxAge);
}
