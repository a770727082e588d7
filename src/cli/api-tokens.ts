// principal-mfa api-tokens create|revoke --username U [--domain D]
import { createApiToken, revokeApiTokens } from '../tokens/api-tokens.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, withStore } from './common.js';
import { describePrincipal, PRINCIPAL_OPTIONS, PRINCIPAL_USAGE, readPrincipalSelection, requirePrincipal } from './select-principal.js';

export async function apiTokensCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, PRINCIPAL_OPTIONS);
  if (action !== 'create' && action !== 'revoke') throw new CliError(`usage: principal-mfa api-tokens create|revoke ${PRINCIPAL_USAGE}`);
  const selection = readPrincipalSelection(values);
  if (action === 'create') {
    const { user, apiToken } = await withStore(values, io, async (store) => {
      const found = await requirePrincipal(store, selection);
      return { user: found, apiToken: await createApiToken(store, clock, found.id) };
    });
    // The plain output is the token alone, so that API_TOKEN=$(principal-mfa api-tokens create …) works.
    printResult(io, values, { apiToken, username: user.username, domain: user.domain }, apiToken);
    return;
  }
  const { user, revoked } = await withStore(values, io, async (store) => {
    const found = await requirePrincipal(store, selection);
    return { user: found, revoked: await revokeApiTokens(store, clock, found.id) };
  });
  printResult(io, values, { revoked, username: user.username, domain: user.domain }, `revoked ${revoked} API token(s) of ${describePrincipal(user)}`);
}
