// Token grants: an API token (plus MFA passcode when turned on) or client credentials → access token.
import { nowSeconds } from '../clock.js';
import type { Services } from '../services.js';
import { ApiError } from '../errors.js';
import type { Events, GrantName } from '../events/events.js';
import { guardApiTokenExchange } from '../limits/limits.js';
import { checkMfaPolicy } from '../orgs/policy-check.js';
import { findUserById, type User } from '../principals/users.js';
import { findApiTokenOwner } from './api-tokens.js';
import { authenticateClient, type ClientCredentials } from './client-auth.js';
import type { AccessTokenDto } from './dtos.js';
import { mintIdToken } from './id-tokens.js';
import { userAccessClaims } from './user-claims.js';

/** The `azp` (and ID token `aud`) of tokens from an API-token exchange: no OAuth client is involved. */
export const API_TOKEN_CLIENT_ID = 'principal-mfa-api-token';

function toDto(services: Services, accessToken: string, perms: string[]): AccessTokenDto {
  return {
    access_token: accessToken,
    token_type: 'bearer',
    // CSP reports one second less than the lifetime so that clients renew in time.
    expires_in: services.issuer.ttlSeconds - 1,
    scope: perms.join(' '),
  };
}

/** Runs a grant and announces how it ended: `grant.succeeded`, or `grant.failed` with the refusal's errorCode. */
export async function announceGrant(events: Events, grant: GrantName, run: () => Promise<AccessTokenDto>): Promise<AccessTokenDto> {
  try {
    const dto = await run();
    events.emit('grant.succeeded', { grant });
    return dto;
  } catch (error) {
    events.emit('grant.failed', { grant, errorCode: error instanceof ApiError ? error.code : undefined });
    throw error;
  }
}

/** The API-token grant (POST …/api-tokens/authorize), announced as `api_token`. */
export function exchangeApiToken(
  services: Services,
  apiToken: string,
  passcode: string | undefined,
  clientAddress: string,
  webauthn?: string,
): Promise<AccessTokenDto> {
  return announceGrant(services.events, 'api_token', () => issueForApiToken(services, apiToken, passcode, clientAddress, webauthn));
}

/**
 * The enabled user an API token belongs to, counted against the token's exchange limit: the exchange and
 * the passkey challenge before it (POST …/auth/webauthn/challenge) share that limit.
 */
export async function findApiTokenUser(services: Services, apiToken: string): Promise<User> {
  const userId = await findApiTokenOwner(services.store, services.clock, apiToken);
  const user = userId === undefined ? undefined : await findUserById(services.store, userId);
  if (!user) throw new ApiError('invalid_grant');
  if (!user.enabled) throw new ApiError('user_disabled');
  await guardApiTokenExchange(services.limits, apiToken);
  return user;
}

/** The exchange itself, unannounced: the refresh_token grant runs it under its own name. */
export async function issueForApiToken(
  services: Services,
  apiToken: string,
  passcode: string | undefined,
  clientAddress: string,
  webauthn?: string,
): Promise<AccessTokenDto> {
  const user = await findApiTokenUser(services, apiToken);
  const proof = await services.signInGate.check(user, passcode, clientAddress, webauthn);
  // The organization's MFA policy (403 after the grace period); it also gives the role for perms.
  const policy = await checkMfaPolicy(services, user, 'apiTokenExchange', proof?.amr ?? []);
  const issuedAt = nowSeconds(services.clock);
  // One key for both tokens: one read of the key generation, and both carry the same kid across a rotation.
  const signer = await services.keys.signingKey();
  const claims = userAccessClaims(user, policy, { azp: API_TOKEN_CLIENT_ID, amr: proof?.amr, authTime: proof?.authTime, issuedAt });
  const accessToken = await services.issuer.mint(claims, signer);
  const idToken = await mintIdToken(services, { user, clientId: API_TOKEN_CLIENT_ID, issuedAt, proof }, signer);
  // CSP answers with the API token as refresh_token; its clients keep that field and send it back.
  return { ...toDto(services, accessToken, claims.perms), id_token: idToken, refresh_token: apiToken };
}

/** `orgId`, when sent, must name the client's own organization (CSP refuses another one). */
export async function exchangeClientCredentials(
  services: Services,
  credentials: ClientCredentials | undefined,
  orgId: string | undefined,
): Promise<AccessTokenDto> {
  const account = await authenticateClient(services, credentials);
  if (orgId !== undefined && orgId !== account.orgId) throw new ApiError('invalid_request', 'invalid_request: orgId is not the organization of this client.');
  const accessToken = await services.issuer.mint({ sub: account.clientId, orgId: account.orgId, perms: [], azp: account.clientId });
  return toDto(services, accessToken, []);
}
