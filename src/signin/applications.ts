// Applications that sign people in (OpenID Connect clients): registration with exact redirect URIs, and
// client authentication at the token endpoint. A public client has no secret; PKCE is its only proof.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { ApiError } from '../errors.js';
import { isValidClientName } from '../principals/names.js';
import { generateSecret, hashSecret, secretMatchesHash } from '../secrets/bearer-secrets.js';
import type { Services } from '../services.js';
import type { Store } from '../storage/database.js';
import { publicUrlOf } from '../config.js';
import type { Application, IdTokenAlgorithm } from '../storage/repositories/applications.js';
import type { ClientCredentials } from '../tokens/client-auth.js';

export type { Application };

export interface NewApplication {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Public: no secret (a browser, mobile or command-line application). */
  isPublic: boolean;
  /** How its ID tokens are signed; RS256 when not given. */
  idTokenAlg?: IdTokenAlgorithm;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Why a redirect URI cannot be registered, or undefined when it can. Absolute, no fragment (RFC 6749
 * §3.1.2), https except on loopback or for a private-use scheme of a native app (RFC 8252 §7.1), and
 * nothing that would break the Content-Security-Policy that names it (spaces, `;`, `,`).
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (!URL.canParse(uri)) return 'is not an absolute URI';
  const url = new URL(uri);
  if (url.hash || uri.includes('#')) return 'must not have a fragment';
  if (/[\s;,'"]/.test(uri)) return "must not contain spaces, quotes, ';' or ','";
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) return 'must use https (http only on 127.0.0.1, [::1] or localhost)';
  if (['javascript:', 'data:', 'file:', 'blob:', 'vbscript:'].includes(url.protocol)) return `must not use ${url.protocol}`;
  if (uri.length > 2000) return 'is longer than 2000 characters';
  return undefined;
}

export async function registerApplication(store: Store, clock: Clock, input: NewApplication): Promise<{ clientId: string; clientSecret?: string }> {
  if (!isValidClientName(input.name)) throw new RangeError('the name may hold at most 255 characters');
  if (input.redirectUris.length === 0) throw new RangeError('an application that signs people in needs at least one redirect URI');
  for (const uri of [...input.redirectUris, ...input.postLogoutRedirectUris]) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new RangeError(`${uri.slice(0, 200)} ${problem}`);
  }
  const clientId = `pmfa-app-${randomBytes(12).toString('hex')}`;
  const clientSecret = input.isPublic ? undefined : generateSecret('pmfa_cs_');
  await store.applications.insert(
    {
      clientId,
      name: input.name,
      secretHash: clientSecret === undefined ? null : hashSecret(clientSecret),
      redirectUris: [...new Set(input.redirectUris)],
      postLogoutRedirectUris: [...new Set(input.postLogoutRedirectUris)],
      idTokenAlg: input.idTokenAlg ?? 'RS256',
    },
    clock.now(),
  );
  return clientSecret === undefined ? { clientId } : { clientId, clientSecret };
}

/** The self-service page /mfa signs people in as this public client, built in: nothing to register. */
export const SELF_SERVICE_CLIENT_ID = 'principal-mfa-self-service';

/** The built-in application of the self-service page: public, coming back to <public URL>/mfa. */
function selfServiceApplication(publicUrl: string): Application {
  const page = `${publicUrl}/mfa`;
  return {
    clientId: SELF_SERVICE_CLIENT_ID,
    name: 'MFA self-service',
    secretHash: null,
    redirectUris: [page],
    postLogoutRedirectUris: [page],
    idTokenAlg: 'RS256',
  };
}

/** A registered application, or the built-in self-service one. */
export function findApplication(services: Pick<Services, 'store' | 'config'>, clientId: string): Promise<Application | undefined> {
  if (clientId === SELF_SERVICE_CLIENT_ID) return Promise.resolve(selfServiceApplication(publicUrlOf(services.config)));
  return services.store.applications.findById(clientId);
}

/** Sent with every invalid_client answer to a Basic attempt, as RFC 6749 §5.2 requires. */
const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="principal-mfa", charset="UTF-8"' };

/**
 * The application the token request comes from: a confidential one must prove its secret, a public one
 * names itself with client_id and must not send a secret (it has none to send).
 */
export async function authenticateApplication(services: Services, credentials: ClientCredentials | undefined): Promise<Application> {
  const refuse = () => new ApiError('invalid_client', undefined, { headers: credentials?.method === 'client_secret_basic' ? BASIC_CHALLENGE : {} });
  if (!credentials) throw refuse();
  const application = await findApplication(services, credentials.clientId);
  if (!application) throw refuse();
  if (application.secretHash === null) {
    if (credentials.clientSecret !== undefined && credentials.clientSecret !== '') throw refuse();
    return application;
  }
  if (credentials.clientSecret === undefined || !secretMatchesHash(credentials.clientSecret, application.secretHash)) throw refuse();
  return application;
}
