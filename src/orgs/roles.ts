// A principal's role in its organization, and the CSP perms an access token carries for it.
export const ORG_ROLES = ['org_owner', 'org_admin', 'org_member'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export const isOrgRole = (value: unknown): value is OrgRole => typeof value === 'string' && (ORG_ROLES as readonly string[]).includes(value);

/** A stored role this version does not know is read as the least one. */
export const toOrgRole = (value: string | undefined): OrgRole => (isOrgRole(value) ? value : 'org_member');

/** CSP's perms for the role: exactly one org role per token, as CSP issues them. */
export const permsOf = (role: OrgRole): string[] => [`csp:${role}`];

/** The roles that may use the organization admin API. */
export const isOrgAdminRole = (role: OrgRole): boolean => role === 'org_owner' || role === 'org_admin';
