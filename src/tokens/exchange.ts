// Token grants: an API token (plus MFA passcode when turned on) or client credentials → access token.
import type { Services } from '../services.js';
import { ApiError } from '../errors.js';
import { guardApiTokenExchange } from '../limits/limits.js';
import { findServiceAccount } from '../principals/service-accounts.js';
import { findUserById, userSubject } from '../principals/users.js';
import { USER_PERMS } from './access-tokens.js';
import { findApiTokenOwner } from './api-tokens.js';
import { secretMatchesHash } from './secrets.js';

export interface AccessTokenDto {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
  issued_token_type: string;
}

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

function toDto(services: Services, accessToken: string, perms: string[]): AccessTokenDto {
  return {
    access_token: accessToken,
    token_type: 'bearer',
    // CSP reports one second less than the lifetime so that clients renew in time.
    expires_in: services.issuer.ttlSeconds - 1,
    scope: perms.join(' '),
    issued_token_type: ACCESS_TOKEN_TYPE,
  };
}

export async function exchangeApiToken(services: Services, apiToken: string, passcode: string | undefined, clientAddress: string): Promise<AccessTokenDto> {
  const userId = await findApiTokenOwner(services.store, services.clock, apiToken);
  const user = userId === undefined ? undefined : await findUserById(services.store, userId);
  if (!user) throw new ApiError('invalid_grant');
  if (!user.enabled) throw new ApiError('user_disabled');
  await guardApiTokenExchange(services.limits, apiToken);
  const proof = await services.signInGate.check(user, passcode, clientAddress);
  const accessToken = await services.issuer.mint({
    sub: userSubject(user),
    username: user.username,
    domain: user.domain,
    orgId: user.orgId,
    perms: USER_PERMS,
    azp: 'principal-mfa-api-token',
    amr: proof?.amr,
    authTime: proof?.authTime,
  });
  return toDto(services, accessToken, USER_PERMS);
}

export async function exchangeClientCredentials(services: Services, clientId: string, clientSecret: string): Promise<AccessTokenDto> {
  const account = await findServiceAccount(services.store, clientId);
  if (!account || !account.enabled || !secretMatchesHash(clientSecret, account.secretHash)) throw new ApiError('invalid_client');
  const accessToken = await services.issuer.mint({ sub: account.clientId, orgId: account.orgId, perms: [], azp: account.clientId });
  return toDto(services, accessToken, []);
}

/** `Authorization: Basic base64(client_id:client_secret)` → its parts, or undefined. */
export function parseBasicAuth(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = header === undefined ? null : /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), clientSecret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}
