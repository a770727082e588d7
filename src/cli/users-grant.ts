// principal-mfa users grant --username U --role org_owner|org_admin|org_member: the principal's organization role,
// in `perms` from its next token on (the org admin API checks the stored role at once).
import { grantOrgRole } from '../orgs/role-store.js';
import { isOrgRole, ORG_ROLES, type OrgRole } from '../orgs/roles.js';
import { ADMIN_ACTOR } from '../audit/record.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, requireString, withStore } from './common.js';
import { describePrincipal, PRINCIPAL_OPTIONS, readPrincipalSelection, requirePrincipal } from './select-principal.js';

export function readRole(values: Record<string, unknown>): OrgRole | undefined {
  if (values.role === undefined) return undefined;
  const role = requireString(values, 'role');
  if (!isOrgRole(role)) throw new CliError(`--role is one of ${ORG_ROLES.join(', ')}`);
  return role;
}

export async function grantRoleCommand(args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, { ...PRINCIPAL_OPTIONS, role: { type: 'string' } });
  const role = readRole(values);
  if (role === undefined) throw new CliError('--role is required');
  const selection = readPrincipalSelection(values);
  const user = await withStore(values, io, async (store) => {
    const found = await requirePrincipal(store, selection);
    await grantOrgRole(store, clock, found, role, ADMIN_ACTOR);
    return found;
  });
  printResult(
    io,
    values,
    { id: user.id, username: user.username, domain: user.domain, orgId: user.orgId, role },
    `${describePrincipal(user)} is now ${role} of ${user.orgId}`,
  );
}
