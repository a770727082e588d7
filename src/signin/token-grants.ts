// The token endpoint's grants of interactive sign-in: authorization_code (RFC 6749 §4.1.3 + PKCE) and the
// rotating refresh_token of a sign-in with offline_access. Plugged into POST …/auth/token beside the
// existing grants; the refresh_token grant hands CSP's API-token refresh on to the grant that had it.
import { randomUUID } from 'node:crypto';
import { nowSeconds } from '../clock.js';
import { ApiError } from '../errors.js';
import { optionalField } from '../http/form-body.js';
import { checkMfaPolicy } from '../orgs/policy-check.js';
import { findUserById, type User } from '../principals/users.js';
import { generateSecret, hashSecret } from '../secrets/bearer-secrets.js';
import type { Services } from '../services.js';
import type { IdTokenAlgorithm } from '../storage/repositories/applications.js';
import type { Repositories } from '../storage/repositories/index.js';
import { readClientCredentials } from '../tokens/client-auth.js';
import type { AccessTokenDto } from '../tokens/dtos.js';
import type { Grant, GrantRequest } from '../tokens/grants.js';
import { mintIdToken } from '../tokens/id-tokens.js';
import { userAccessClaims } from '../tokens/user-claims.js';
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

/**
 * Access token and ID token of a sign-in. Minted outside any transaction: the key ring may read the store.
 * The organization's policy is asked at every minting, as the API-token exchange asks it at every exchange:
 * the role gives perms, the grace period the due claim, and after it a refresh is refused (403
 * mfa_enrollment_required) like the sign-in itself.
 */
async function mintSignInTokens(services: Services, user: User, issue: Issue, idTokenAlg: IdTokenAlgorithm): Promise<AccessTokenDto> {
  const policy = await checkMfaPolicy(services, user, 'signIn', issue.amr);
  const issuedAt = nowSeconds(services.clock);
  // The access token is RS256 whatever the client asked (CSP's clients verify it with token-public-key);
  // the ID token is signed as the client registered (an ES256 signature costs a tenth of an RS256 one).
  const signer = await services.keys.signingKey();
  const idTokenSigner = idTokenAlg === signer.alg ? signer : services.keys.signingKeyAsSynced(idTokenAlg); // one generation read per answer
  const accessToken = await services.issuer.mint(
    userAccessClaims(user, policy, { azp: issue.clientId, amr: issue.amr, authTime: issue.authTime, acr: issue.acr, scope: issue.scope, issuedAt }),
    signer,
  );
  const idToken = await mintIdToken(
    services,
    {
      user,
      clientId: issue.clientId,
      issuedAt,
      proof: undefined,
      signIn: { amr: issue.amr, acr: issue.acr, authTime: issue.authTime, nonce: issue.nonce },
    },
    idTokenSigner,
  );
  return { access_token: accessToken, token_type: 'bearer', expires_in: services.issuer.ttlSeconds - 1, scope: issue.scope, id_token: idToken };
}

/** The next refresh token of a family, when offline_access was granted: its value, and the row to store. */
function nextRefreshToken(services: Services, issue: Issue, family: { familyId: string; codeHash: string }) {
  if (!issue.scope.split(' ').includes('offline_access')) return undefined;
  const token = generateSecret(REFRESH_TOKEN_PREFIX);
  const nowMs = services.clock.now();
  const record = {
    tokenHash: hashSecret(token),
    ...family,
    clientId: issue.clientId,
    userId: issue.userId,
    scope: issue.scope,
    authTime: issue.authTime,
    amr: issue.amr,
    acr: issue.acr,
    createdAt: nowMs,
    expiresAt: nowMs + REFRESH_TOKEN_LIFETIME_SECONDS * 1000,
  };
  return { token, record };
}

/** The signed-in user, still there and enabled. Read before any transaction: SQLite serialises the store's connection behind one. */
async function liveUser(services: Services, userId: string): Promise<User> {
  const user = await findUserById(services.store, userId);
  if (!user) throw invalidGrant('The user no longer exists.');
  if (!user.enabled) throw new ApiError('user_disabled');
  return user;
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
  const stored = await services.store.signIn.consumeCode(codeHash, nowMs);
  if (!stored) {
    if (!(await services.store.signIn.findCode(codeHash))) throw invalidGrant('The authorization code is unknown.');
    await services.store.signIn.revokeIssuedFromCode(codeHash, nowMs);
    throw invalidGrant('The authorization code was already used; what it issued is revoked.');
  }
  if (stored.expiresAt <= nowMs) throw invalidGrant('The authorization code has expired.');
  if (stored.clientId !== application.clientId) throw invalidGrant('The authorization code was issued to another client.');
  if (optionalField(request.body, 'redirect_uri') !== stored.redirectUri) throw invalidGrant('redirect_uri differs from the authorization request.');
  const verifier = optionalField(request.body, 'code_verifier');
  if (verifier === undefined || !verifierMatches(verifier, stored.codeChallenge)) throw invalidGrant('The PKCE code_verifier does not match.');
  const user = await liveUser(services, stored.userId);
  const issue = { ...stored, nonce: stored.nonce ?? undefined };
  const dto = await mintSignInTokens(services, user, issue, application.idTokenAlg);
  const refresh = nextRefreshToken(services, issue, { familyId: randomUUID(), codeHash });
  if (refresh) await services.store.signIn.insertRefreshToken(refresh.record);
  return refresh ? { ...dto, refresh_token: refresh.token } : dto;
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
  if (stored.expiresAt <= nowMs && stored.usedAt === null) throw invalidGrant('The refresh token has expired.');
  const user = await liveUser(services, stored.userId);
  // Minted first, outside the transaction; thrown away if the token turns out to be spent.
  const dto = await mintSignInTokens(services, user, stored, application.idTokenAlg);
  const refresh = nextRefreshToken(services, stored, { familyId: stored.familyId, codeHash: stored.codeHash });
  const used = await services.store.transaction(async (trx) => {
    if (!(await trx.signIn.useRefreshToken(tokenHash, nowMs))) {
      await trx.signIn.revokeFamily(stored.familyId, nowMs);
      return false;
    }
    if (refresh) await trx.signIn.insertRefreshToken(refresh.record);
    return true;
  });
  if (!used) throw invalidGrant('The refresh token was already used or revoked; its whole family is revoked now.');
  return refresh ? { ...dto, refresh_token: refresh.token } : dto;
}

/** refresh_token: ours by their prefix; anything else is CSP's API token, handled as before. */
export function refreshTokenGrant(apiTokenRefresh: Grant): Grant {
  return (services, request) => {
    const token = optionalField(request.body, 'refresh_token');
    if (token?.startsWith(REFRESH_TOKEN_PREFIX)) return rotateRefreshToken(services, request, token);
    return apiTokenRefresh(services, request);
  };
}
