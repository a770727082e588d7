// principal-mfa users create|disable|enable|delete (set-password and import in files of their own)
import { hashPassword } from '../principals/passwords.js';
import { isValidOrgId, isValidUsername, ORG_ID_RULE, USERNAME_RULE } from '../principals/names.js';
import { createUser, deleteUser, findUserByUsername, setUserEnabled } from '../principals/users.js';
import { grantOrgRole } from '../orgs/role-store.js';
import { ADMIN_ACTOR } from '../audit/record.js';
import { grantRoleCommand, readRole } from './users-grant.js';
import { importUsersCommand } from './users-import.js';
import { listUsersCommand, showUserCommand } from './users-list.js';
import { checkNewPassword, setPasswordCommand } from './users-set-password.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, readStdin, requireString, withStore } from './common.js';
import { describePrincipal, PRINCIPAL_OPTIONS, PRINCIPAL_USAGE, readPrincipalSelection, requirePrincipal } from './select-principal.js';

export async function usersCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  switch (action) {
    case 'create':
      return createUserCommand(args, io);
    case 'import':
      return importUsersCommand(args, io);
    case 'set-password':
      return setPasswordCommand(args, io);
    case 'list':
      return listUsersCommand(args, io);
    case 'show':
      return showUserCommand(args, io);
    case 'grant':
      return grantRoleCommand(args, io);
    case 'disable':
    case 'enable':
    case 'delete':
      return changeUserCommand(action, args, io);
    default:
      throw new CliError(
        `usage: principal-mfa users create --username U | users disable|enable|delete ${PRINCIPAL_USAGE} | users set-password --username U --password-stdin | users import --file F`,
      );
  }
}

async function createUserCommand(args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, {
    username: { type: 'string' },
    org: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    role: { type: 'string' },
  });
  const username = requireString(values, 'username');
  const role = readRole(values);
  if (!isValidUsername(username)) throw new CliError(`--username may hold ${USERNAME_RULE}`);
  const org = (values.org as string | undefined) ?? 'default';
  if (!isValidOrgId(org)) throw new CliError(`--org may hold ${ORG_ID_RULE}`);
  let passwordHash: string | null = null;
  if (values['password-stdin']) {
    const password = (await readStdin(io.stdin)).replace(/\r?\n$/, '');
    checkNewPassword(password);
    passwordHash = await hashPassword(password);
  }
  const user = await withStore(values, io, async (store) => {
    if (await findUserByUsername(store, username)) throw new CliError(`a user named "${username}" exists already`);
    const created = await createUser(store, clock, { username, orgId: org, passwordHash });
    if (role !== undefined && role !== 'org_member') await grantOrgRole(store, clock, created, role, ADMIN_ACTOR);
    return created;
  });
  printResult(io, values, { id: user.id, username: user.username }, `created user ${user.username} (${user.id})`);
}

async function changeUserCommand(action: 'disable' | 'enable' | 'delete', args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, PRINCIPAL_OPTIONS);
  const selection = readPrincipalSelection(values);
  const user = await withStore(values, io, async (store) => {
    const found = await requirePrincipal(store, selection);
    if (action === 'delete') await deleteUser(store, found.id);
    else await setUserEnabled(store, found.id, action === 'enable');
    return found;
  });
  printResult(io, values, { id: user.id, username: user.username, domain: user.domain, action }, `${action}d user ${describePrincipal(user)}`);
}
