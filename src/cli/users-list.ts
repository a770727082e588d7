// principal-mfa users list [--org O] [--mfa on|off|pending|locked] [--json]: one line per principal (JSON Lines with
// --json), streamed page by page; users show --username U [--json]: one principal with its last 20 MFA audit events.
import { walkPrincipals, type WalkedPrincipal } from '../org-admin/listing.js';
import { toOrgPrincipalDto } from '../org-admin/principal-view.js';
import { readOrgPolicy } from '../orgs/policy-store.js';
import { isValidOrgId, ORG_ID_RULE } from '../principals/names.js';
import type { MfaFilter } from '../storage/repositories/org-principals.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, withStore } from './common.js';
import { describePrincipal, PRINCIPAL_OPTIONS, readPrincipalSelection, requirePrincipal } from './select-principal.js';

const FILTERS: readonly MfaFilter[] = ['on', 'off', 'pending', 'locked'];

/** on, pending, off; then locked when it is. */
function mfaWord(p: WalkedPrincipal): string {
  const state = p.turnedOn ? 'on' : p.pending ? 'pending' : 'off';
  return p.lockedUntil === null ? state : `${state},locked`;
}

function humanLine(p: WalkedPrincipal): string {
  const due = p.enrolmentDueAt === null ? '' : ` due=${new Date(p.enrolmentDueAt).toISOString()}`;
  return `${p.username}\t${p.domain}\t${p.orgId}\t${p.role}\tmfa=${mfaWord(p)}\tcodes=${p.recoveryCodesLeft}${due}`;
}

/** Waits when stdout's buffer is full, so a million principals never pile up in memory. */
function writeLine(io: CliIo, line: string): Promise<void> | void {
  if (io.stdout.write(`${line}\n`)) return;
  return new Promise((resolve) => io.stdout.once('drain', () => resolve()));
}

export async function listUsersCommand(args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, { org: { type: 'string' }, mfa: { type: 'string' } });
  const orgId = values.org as string | undefined;
  if (orgId !== undefined && !isValidOrgId(orgId)) throw new CliError(`--org may hold ${ORG_ID_RULE}`);
  const filter = values.mfa as MfaFilter | undefined;
  if (filter !== undefined && !FILTERS.includes(filter)) throw new CliError(`--mfa is one of ${FILTERS.join(', ')}`);
  await withStore(values, io, async (store) => {
    for await (const p of walkPrincipals({ store, nowMs: clock.now() }, { orgId, filter })) await writeLine(io, values.json ? JSON.stringify(p) : humanLine(p));
  });
}

export async function showUserCommand(args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, PRINCIPAL_OPTIONS);
  const selection = readPrincipalSelection(values);
  const shown = await withStore(values, io, async (store) => {
    const user = await requirePrincipal(store, selection);
    const row = await store.orgPrincipals.findByUsername(user.orgId, user.username, user.domain);
    if (!row) throw new CliError(`no user ${describePrincipal(user)}`);
    const nowMs = clock.now();
    const principal = { orgId: user.orgId, ...toOrgPrincipalDto(row, await readOrgPolicy(store, user.orgId), nowMs) };
    return { principal, auditEvents: await store.orgPrincipals.recentAuditEvents(user.id, 20) };
  });
  const events = shown.auditEvents.map((e) => `  ${new Date(e.eventDate).toISOString()} ${e.action} by ${e.modifiedBy}`);
  printResult(io, values, shown, [humanLine(shown.principal), ...events].join('\n'));
}
