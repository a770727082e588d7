// principal-mfa mfa reset --username U [--domain D]: for a principal who lost the device and the recovery codes.
// principal-mfa mfa unlock --username U [--domain D]: for a locked-out principal; keeps the device and the codes.
import { resetMfa } from '../mfa/admin-reset.js';
import { unlockMfa } from '../mfa/admin-unlock.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, withStore } from './common.js';
import { describePrincipal, PRINCIPAL_OPTIONS, PRINCIPAL_USAGE, readPrincipalSelection, requirePrincipal } from './select-principal.js';

export async function mfaCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  if (action === 'unlock') return unlockCommand(args, io);
  if (action !== 'reset') throw new CliError(`usage: principal-mfa mfa reset|unlock ${PRINCIPAL_USAGE}`);
  const values = parseCommandArgs(args, PRINCIPAL_OPTIONS);
  const selection = readPrincipalSelection(values);
  const { user, result } = await withStore(values, io, async (store) => {
    const found = await requirePrincipal(store, selection);
    return { user: found, result: await resetMfa(store, clock, found) };
  });
  const human = result.removed
    ? `removed the MFA device "${result.deviceName}" and recovery codes of ${describePrincipal(user)}`
    : `${describePrincipal(user)} had no MFA device; nothing to remove`;
  printResult(io, values, { id: user.id, username: user.username, domain: user.domain, removed: result.removed }, human);
}

async function unlockCommand(args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, PRINCIPAL_OPTIONS);
  const selection = readPrincipalSelection(values);
  const { user, unlocked } = await withStore(values, io, async (store) => {
    const found = await requirePrincipal(store, selection);
    return { user: found, ...(await unlockMfa(store, clock, found)) };
  });
  const human = unlocked
    ? `unlocked ${describePrincipal(user)}: MFA verification works again`
    : `${describePrincipal(user)} was not locked; failure count cleared`;
  printResult(io, values, { id: user.id, username: user.username, domain: user.domain, unlocked }, human);
}
