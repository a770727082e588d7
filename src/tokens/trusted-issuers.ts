// Access tokens from outside issuers (another CSP or OIDC provider, `--trusted-issuer ISSUER=JWKS_URI`):
// verified against the issuer's remote JWKS, and their principals created on first use (just in time).
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { type Clock } from '../clock.js';
import type { TrustedIssuer } from '../config.js';
import { ApiError } from '../errors.js';
import { createUser, DEFAULT_DOMAIN, DEFAULT_ORG, findUserByUsername, type User } from '../principals/users.js';
import type { Store } from '../storage/database.js';
import type { AccessTokenClaims } from './access-tokens.js';

/** Asymmetric algorithms only: never HS* (a shared secret) and never `none`. */
export const OUTSIDE_ALGORITHMS = ['RS256', 'ES256'];
/** Outside issuers choose their own lifetimes; anything beyond a day is refused all the same. */
const OUTSIDE_MAX_LIFETIME_SECONDS = 24 * 3600;
const CLOCK_TOLERANCE_SECONDS = 30;

export interface JwksOptions {
  /** One JWKS fetch may take this long. */
  timeoutMs: number;
  /** After a fetch, an unknown kid does not trigger another one for this long (refetch storms). */
  cooldownMs: number;
  /** Keys are refetched at least this often. */
  cacheMaxAgeMs: number;
}

export const DEFAULT_JWKS_OPTIONS: JwksOptions = { timeoutMs: 3_000, cooldownMs: 30_000, cacheMaxAgeMs: 10 * 60_000 };

/**
 * The domain of principals named by an issuer's tokens: derived from the issuer URL, never from a
 * token claim, so that an outside issuer can never name one of our local (or another issuer's) users.
 */
export function domainOfIssuer(issuer: string): string {
  return `${new URL(issuer).host}`;
}

export class TrustedIssuers {
  private readonly jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(
    issuers: readonly TrustedIssuer[],
    private readonly clock: Clock,
    options: JwksOptions = DEFAULT_JWKS_OPTIONS,
  ) {
    for (const { issuer, jwksUri } of issuers) {
      if (domainOfIssuer(issuer) === DEFAULT_DOMAIN) throw new Error(`trusted issuer ${issuer} would share the local user domain`);
      this.jwks.set(issuer, createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: options.timeoutMs, cooldownDuration: options.cooldownMs, cacheMaxAge: options.cacheMaxAgeMs }));
    }
  }

  get size(): number {
    return this.jwks.size;
  }

  /** The (unverified) issuer of a token when it is one we trust, else undefined. */
  issuerOf(token: string): string | undefined {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    return typeof iss === 'string' && this.jwks.has(iss) ? iss : undefined;
  }

  async verify(token: string, issuer: string): Promise<AccessTokenClaims> {
    const keys = this.jwks.get(issuer);
    if (!keys) throw new ApiError('invalid_token');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: OUTSIDE_ALGORITHMS,
        issuer,
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: OUTSIDE_MAX_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.clock.now()),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new ApiError('token_expired');
      // The issuer's key set could not be fetched: not the client's fault, and the token may be fine.
      if (error instanceof joseErrors.JWKSTimeout || (error instanceof Error && !(error instanceof joseErrors.JOSEError))) {
        throw new ApiError('service_unavailable', 'The keys of the token issuer cannot be fetched right now; retry shortly.', { retryAfterSeconds: 5, cause: error });
      }
      throw new ApiError('invalid_token');
    }
    const { exp, iat, sub } = payload;
    if (typeof exp !== 'number' || typeof iat !== 'number' || typeof sub !== 'string' || sub === '') throw new ApiError('invalid_token');
    if (exp - iat > OUTSIDE_MAX_LIFETIME_SECONDS) throw new ApiError('invalid_token', 'The access token lives longer than allowed.');
    // CSP names users in `username`; OIDC providers in `preferred_username`. Without either it is an application.
    const username = payload.username ?? payload.preferred_username;
    if (username !== undefined && (typeof username !== 'string' || username === '' || username.length > 255)) throw new ApiError('invalid_token');
    return { ...payload, username } as AccessTokenClaims;
  }
}

/**
 * The local user for an outside token's principal, created on first use in the issuer's domain.
 * Keyed by (domain, username); a concurrent first use by another request or copy is resolved by
 * the unique constraint and a second read.
 */
export async function findOrCreateOutsideUser(store: Store, clock: Clock, claims: AccessTokenClaims): Promise<User> {
  const domain = domainOfIssuer(claims.iss);
  const username = claims.username as string;
  const existing = await findUserByUsername(store, username, domain);
  if (existing) return existing;
  const orgId = typeof claims.context === 'string' && claims.context !== '' ? claims.context : DEFAULT_ORG;
  try {
    return await createUser(store, clock, { username, domain, orgId, passwordHash: null });
  } catch (error) {
    const raced = await findUserByUsername(store, username, domain);
    if (raced) return raced;
    throw error;
  }
}
