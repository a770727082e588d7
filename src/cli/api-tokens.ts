// principal-mfa api-tokens create|revoke
import { createApiToken, revokeApiTokens } from '../tokens/api-tokens.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, requireString, requireUserByUsername, withStore } from './common.js';

export async function apiTokensCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, { username: { type: 'string' } });
  if (action !== 'create' && action !== 'revoke') throw new CliError('usage: principal-mfa api-tokens create|revoke --username U');
  const username = requireString(values, 'username');
  if (action === 'create') {
    const apiToken = await withStore(values, io, async (store) => createApiToken(store, clock, (await requireUserByUsername(store, username)).id));
    printResult(io, values, { apiToken }, apiToken);
    return;
  }
  const revoked = await withStore(values, io, async (store) => revokeApiTokens(store, clock, (await requireUserByUsername(store, username)).id));
  printResult(io, values, { revoked }, `revoked ${revoked} API token(s) of ${username}`);
}
