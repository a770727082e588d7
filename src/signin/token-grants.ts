// The token endpoint's grants of interactive sign-in: authorization_code (RFC 6749 §4.1.3 + PKCE) and the
// rotating refresh_token of a sign-in with offline_access. Plugged into POST …/auth/token beside the
// existing grants; the refresh_token grant hands CSP's API-token refresh on to the grant that had it.
import { randomUUID } from 'node:crypto';
import { nowSeconds } from '../clock.js';
import { ApiError } from '../errors.js';
import { optionalField } from '../http/form-body.js';
import { findUserById } from '../principals/users.js';
import { generateSecret, hashSecret } from '../secrets/bearer-secrets.js';
import type { Services } from '../services.js';
import type { Repositories } from '../storage/repositories/index.js';
import { USER_PERMS } from '../tokens/access-tokens.js';
import { readClientCredentials } from '../tokens/client-auth.js';
import type { AccessTokenDto } from '../tokens/dtos.js';
import type { Grant, GrantRequest } from '../tokens/grants.js';
import { mintIdToken } from '../tokens/id-tokens.js';
import { authenticateApplication } from './applications.js';
import { verifierMatches } from './codes.js';

export const REFRESH_TOKEN_PREFIX = 'pmfa_rt_';
/** A refresh token unused this long expires; each use gives a new one with a fresh lifetime, within the family. */
export const REFRESH_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;

const invalidGrant = (why: string) => new ApiError('invalid_grant', `invalid_grant: ${why}`);

interface Issue {
  clientId: string;
  userId: string;
  scope: string;
  authTime: number;
  amr: string[];
  acr: string;
  nonce?: string;
}

/** Access token and ID token of a sign-in, and the next refresh token of its family when offline_access was granted. */
async function issueTokens(services: Services, issue: Issue, family: { familyId: string; codeHash: string } | undefined, trx?: Repositories) {
  const user = await findUserById(services.store, issue.userId);
  if (!user) throw invalidGrant('The user no longer exists.');
  if (!user.enabled) throw new ApiError('user_disabled');
  const issuedAt = nowSeconds(services.clock);
  const accessToken = await services.issuer.mint({
    sub: `${user.domain}:${user.id}`,
    username: user.username,
    domain: user.domain,
    orgId: user.orgId,
    perms: USER_PERMS,
    azp: issue.clientId,
    amr: issue.amr,
    authTime: issue.authTime,
    acr: issue.acr,
    scope: issue.scope,
    issuedAt,
  });
  const idToken = await mintIdToken(services, {
    user,
    clientId: issue.clientId,
    issuedAt,
    proof: undefined,
    signIn: { amr: issue.amr, acr: issue.acr, authTime: issue.authTime, nonce: issue.nonce },
  });
  const dto: AccessTokenDto = { access_token: accessToken, token_type: 'bearer', expires_in: services.issuer.ttlSeconds - 1, scope: issue.scope, id_token: idToken };
  if (family && issue.scope.split(' ').includes('offline_access')) {
    const refreshToken = generateSecret(REFRESH_TOKEN_PREFIX);
    const nowMs = services.clock.now();
    await (trx ?? services.store).signIn.insertRefreshToken({
      tokenHash: hashSecret(refreshToken),
      ...family,
      clientId: issue.clientId,
      userId: issue.userId,
      scope: issue.scope,
      authTime: issue.authTime,
      amr: issue.amr,
      acr: issue.acr,
      createdAt: nowMs,
      expiresAt: nowMs + REFRESH_TOKEN_LIFETIME_SECONDS * 1000,
    });
    dto.refresh_token = refreshToken;
  }
  return dto;
}

async function applicationOf(services: Services, request: GrantRequest) {
  return authenticateApplication(services, readClientCredentials(request.authorization, request.body));
}

/**
 * The code is marked used first, atomically: of two racing requests one wins. A code used before is a
 * replay (a stolen code, or a client bug): what it issued is revoked (its refresh-token family), and
 * the answer is invalid_grant. Access tokens are signed and stateless; they expire on their own.
 */
export const authorizationCodeGrant: Grant = async (services, request) => {
  const application = await applicationOf(services, request);
  const code = optionalField(request.body, 'code');
  if (code === undefined) throw new ApiError('invalid_request', 'invalid_request: Send the authorization code as code.');
  const codeHash = hashSecret(code);
  const nowMs = services.clock.now();
  const won = await services.store.signIn.consumeCode(codeHash, nowMs);
  const stored = await services.store.signIn.findCode(codeHash);
  if (!stored) throw invalidGrant('The authorization code is unknown.');
  if (!won) {
    await services.store.signIn.revokeIssuedFromCode(codeHash, nowMs);
    throw invalidGrant('The authorization code was already used; what it issued is revoked.');
  }
  if (stored.expiresAt <= nowMs) throw invalidGrant('The authorization code has expired.');
  if (stored.clientId !== application.clientId) throw invalidGrant('The authorization code was issued to another client.');
  if (optionalField(request.body, 'redirect_uri') !== stored.redirectUri) throw invalidGrant('redirect_uri differs from the authorization request.');
  const verifier = optionalField(request.body, 'code_verifier');
  if (verifier === undefined || !verifierMatches(verifier, stored.codeChallenge)) throw invalidGrant('The PKCE code_verifier does not match.');
  return issueTokens(services, { ...stored, nonce: stored.nonce ?? undefined }, { familyId: randomUUID(), codeHash });
};

/**
 * A refresh token is used once: the use and its successor are one transaction. Presenting one that was
 * used (or revoked) before means two parties hold the family: every token of it is revoked (OAuth 2.0
 * Security BCP §4.14.2).
 */
async function rotateRefreshToken(services: Services, request: GrantRequest, token: string): Promise<AccessTokenDto> {
  const application = await applicationOf(services, request);
  const tokenHash = hashSecret(token);
  const nowMs = services.clock.now();
  const stored = await services.store.signIn.findRefreshToken(tokenHash);
  if (!stored || stored.clientId !== application.clientId) throw invalidGrant('The refresh token is unknown.');
  const outcome = await services.store.transaction(async (trx) => {
    if (!(await trx.signIn.useRefreshToken(tokenHash, nowMs))) {
      await trx.signIn.revokeFamily(stored.familyId, nowMs);
      return { reused: true as const };
    }
    if (stored.expiresAt <= nowMs) return { expired: true as const };
    return { dto: await issueTokens(services, stored, { familyId: stored.familyId, codeHash: stored.codeHash }, trx) };
  });
  if ('reused' in outcome) throw invalidGrant('The refresh token was already used or revoked; its whole family is revoked now.');
  if ('expired' in outcome) throw invalidGrant('The refresh token has expired.');
  return outcome.dto;
}

/** refresh_token: ours by their prefix; anything else is CSP's API token, handled as before. */
export function refreshTokenGrant(apiTokenRefresh: Grant): Grant {
  return (services, request) => {
    const token = optionalField(request.body, 'refresh_token');
    if (token?.startsWith(REFRESH_TOKEN_PREFIX)) return rotateRefreshToken(services, request, token);
    return apiTokenRefresh(services, request);
  };
}
