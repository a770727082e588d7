// What an access token says about a user, whichever grant issued it (the API-token exchange, an
// authorization code, a refresh): who they are, their organization, the perms of their role there and,
// inside a grace period, when the organization wants them enrolled. One place, so the grants cannot drift.
import type { PolicyDecision } from '../orgs/policy-check.js';
import { permsOf } from '../orgs/roles.js';
import { type User, userSubject } from '../principals/users.js';
import type { MintInput } from './access-tokens.js';

/** How this grant authenticated the user, and for whom the token is: the claims that differ between grants. */
export type GrantClaims = Pick<MintInput, 'azp' | 'amr' | 'authTime' | 'acr' | 'scope' | 'issuedAt'>;

export function userAccessClaims(user: User, policy: PolicyDecision, grant: GrantClaims): MintInput {
  return {
    sub: userSubject(user),
    username: user.username,
    domain: user.domain,
    orgId: user.orgId,
    perms: permsOf(policy.role),
    mfaEnrollmentDue: policy.enrolmentDueAt === undefined ? undefined : Math.floor(policy.enrolmentDueAt / 1000),
    ...grant,
  };
}
