// The principal an admin command acts on: `--username U` in `--domain D` (default local), or, for an outside
// principal whose name is not unique (renamed at its issuer), `--subject S --domain D`.
import { DEFAULT_DOMAIN, findUsersInDomain, type User } from '../principals/users.js';
import type { Store } from '../storage/database.js';
import { CliError, type Options, requireString, requireUserByUsername } from './common.js';

export const PRINCIPAL_OPTIONS: Options = { username: { type: 'string' }, subject: { type: 'string' }, domain: { type: 'string' } };
export const PRINCIPAL_USAGE = '--username U [--domain D] | --subject S --domain D';

export type PrincipalSelection = { domain: string } & ({ username: string } | { subject: string });

/** Reads and checks --username, --subject and --domain before the store is opened. */
export function readPrincipalSelection(values: Record<string, unknown>): PrincipalSelection {
  const domain = values.domain === undefined ? DEFAULT_DOMAIN : requireString(values, 'domain');
  if (values.subject === undefined) return { domain, username: requireString(values, 'username') };
  if (values.username !== undefined) throw new CliError('name the principal by either --username or --subject, not both');
  if (domain === DEFAULT_DOMAIN) throw new CliError('--subject names an outside principal: give its --domain too');
  return { domain, subject: requireString(values, 'subject') };
}

export async function requirePrincipal(store: Store, selection: PrincipalSelection): Promise<User> {
  const { domain } = selection;
  if ('username' in selection && domain === DEFAULT_DOMAIN) return requireUserByUsername(store, selection.username);
  const found = await findUsersInDomain(store, domain, selection);
  const named = 'username' in selection ? `named "${selection.username}"` : `with subject "${selection.subject}"`;
  if (found.length === 0) throw new CliError(`no user ${named} in domain ${domain}`);
  if (found.length > 1) {
    const subjects = found.map((u) => u.subject ?? '(none: made before migration 003)').join(', ');
    throw new CliError(`${found.length} principals in domain ${domain} are ${named} (renamed at their issuer); choose one with --subject: ${subjects}`);
  }
  return found[0] as User;
}

/** `olive`, or `olive (domain idp.example/realms/corp)` for any other domain than local. */
export function describePrincipal(user: User): string {
  return user.domain === DEFAULT_DOMAIN ? user.username : `${user.username} (domain ${user.domain})`;
}
