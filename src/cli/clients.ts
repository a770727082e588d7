// principal-mfa clients create
import { createServiceAccount } from '../principals/service-accounts.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, requireString, withStore } from './common.js';

export async function clientsCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, { name: { type: 'string' }, org: { type: 'string' } });
  if (action !== 'create') throw new CliError('usage: principal-mfa clients create --name N');
  const name = requireString(values, 'name');
  if (name.length > 255) throw new CliError('--name may hold at most 255 characters');
  const created = await withStore(values, io, (store) => createServiceAccount(store, clock, name, (values.org as string | undefined) ?? undefined));
  printResult(io, values, created, `client id: ${created.clientId}\nclient secret: ${created.clientSecret}`);
}
