// principal-mfa mfa reset --username U: for a principal who lost the device and the recovery codes.
// principal-mfa mfa unlock --username U: for a locked-out principal; keeps the device and the codes.
import { resetMfa } from '../mfa/admin-reset.js';
import { unlockMfa } from '../mfa/admin-unlock.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, requireString, requireUserByUsername, withStore } from './common.js';

export async function mfaCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  if (action === 'unlock') return unlockCommand(args, io);
  if (action !== 'reset') throw new CliError('usage: principal-mfa mfa reset|unlock --username U');
  const values = parseCommandArgs(args, { username: { type: 'string' } });
  const username = requireString(values, 'username');
  const { user, result } = await withStore(values, io, async (store) => {
    const found = await requireUserByUsername(store, username);
    return { user: found, result: await resetMfa(store, clock, found) };
  });
  const human = result.removed ? `removed the MFA device "${result.deviceName}" and recovery codes of ${user.username}` : `${user.username} had no MFA device; nothing to remove`;
  printResult(io, values, { id: user.id, username: user.username, removed: result.removed }, human);
}

async function unlockCommand(args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, { username: { type: 'string' } });
  const username = requireString(values, 'username');
  const { user, unlocked } = await withStore(values, io, async (store) => {
    const found = await requireUserByUsername(store, username);
    return { user: found, ...(await unlockMfa(store, clock, found)) };
  });
  const human = unlocked ? `unlocked ${user.username}: MFA verification works again` : `${user.username} was not locked; failure count cleared`;
  printResult(io, values, { id: user.id, username: user.username, unlocked }, human);
}
