// principal-mfa clients create: a client-credentials application (service account), or with --redirect-uri
// an application that signs people in (OpenID Connect; docs/sign-in.md).
import { isValidClientName, isValidOrgId, ORG_ID_RULE } from '../principals/names.js';
import { createServiceAccount } from '../principals/service-accounts.js';
import { registerApplication } from '../signin/applications.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, requireString, withStore } from './common.js';

export async function clientsCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, {
    name: { type: 'string' },
    org: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    public: { type: 'boolean' },
    'id-token-alg': { type: 'string' },
  });
  if (action !== 'create') throw new CliError('usage: principal-mfa clients create --name N');
  const name = requireString(values, 'name');
  if (!isValidClientName(name)) throw new CliError('--name may hold at most 255 characters');
  if (values.org !== undefined && !isValidOrgId(values.org)) throw new CliError(`--org may hold ${ORG_ID_RULE}`);
  const redirectUris = (values['redirect-uri'] as unknown as string[] | undefined) ?? [];
  const postLogoutRedirectUris = (values['post-logout-redirect-uri'] as unknown as string[] | undefined) ?? [];
  const idTokenAlg = values['id-token-alg'] as string | undefined;
  if (idTokenAlg !== undefined && idTokenAlg !== 'RS256' && idTokenAlg !== 'ES256') throw new CliError('--id-token-alg must be RS256 or ES256');
  if (redirectUris.length === 0) {
    if (values.public || postLogoutRedirectUris.length > 0 || idTokenAlg !== undefined)
      throw new CliError('--public, --post-logout-redirect-uri and --id-token-alg need at least one --redirect-uri');
    const created = await withStore(values, io, (store) => createServiceAccount(store, clock, name, (values.org as string | undefined) ?? undefined));
    printResult(io, values, created, `client id: ${created.clientId}\nclient secret: ${created.clientSecret}`);
    return;
  }
  if (values.org !== undefined) throw new CliError('--org is for client-credentials applications; a sign-in application acts for the people who sign in');
  const created = await withStore(values, io, async (store) => {
    try {
      return await registerApplication(store, clock, { name, redirectUris, postLogoutRedirectUris, isPublic: values.public === true, idTokenAlg });
    } catch (error) {
      if (error instanceof RangeError) throw new CliError(error.message);
      throw error;
    }
  });
  const secretLine = created.clientSecret === undefined ? 'public client: no secret; PKCE (S256) is required' : `client secret: ${created.clientSecret}`;
  printResult(io, values, created, `client id: ${created.clientId}\n${secretLine}`);
}
