// principal-mfa clients create
import { isValidClientName, isValidOrgId, ORG_ID_RULE } from '../principals/names.js';
import { createServiceAccount } from '../principals/service-accounts.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, requireString, withStore } from './common.js';

export async function clientsCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, { name: { type: 'string' }, org: { type: 'string' } });
  if (action !== 'create') throw new CliError('usage: principal-mfa clients create --name N');
  const name = requireString(values, 'name');
  if (!isValidClientName(name)) throw new CliError('--name may hold at most 255 characters');
  if (values.org !== undefined && !isValidOrgId(values.org)) throw new CliError(`--org may hold ${ORG_ID_RULE}`);
  const created = await withStore(values, io, (store) => createServiceAccount(store, clock, name, (values.org as string | undefined) ?? undefined));
  printResult(io, values, created, `client id: ${created.clientId}\nclient secret: ${created.clientSecret}`);
}
