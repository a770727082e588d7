// Access tokens from outside issuers (another CSP or OIDC provider, `--trusted-issuer`): verified against
// the issuer's remote JWKS and its expected audience or client; each names its principal (outsidePrincipalOf).
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { type Clock } from '../clock.js';
import { ApiError } from '../errors.js';
import type { OutsidePrincipal } from '../principals/outside-users.js';
import { isValidOrgId, isValidUsername } from '../principals/names.js';
import { DEFAULT_ORG } from '../principals/users.js';
import type { AccessTokenClaims } from './claims.js';
import { domainOfIssuer, findIssuerDomainProblem, legacyDomainOfIssuer } from './issuer-domains.js';
import type { TrustedIssuer } from './trusted-issuer-config.js';

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

/** Header `typ` values of an access token (RFC 9068 §2.1; most issuers send `JWT` or nothing). */
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);
/** Claims only an ID token carries (OpenID Connect Core §2, §3.3.2.11). */
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash'];
/**
 * A `sub` is a key, never parsed: any printable text that fits the column. No lone surrogates either: the
 * drivers would store each as U+FFFD, and two different subjects would become one principal.
 */
const SUBJECT_PATTERN = /^[^\u0000-\u001f\u007f-\u009f\ud800-\udfff]{1,255}$/u;

/** The principal an outside token names, attached to its verified claims (a symbol: no token claim can set it). */
const OUTSIDE_PRINCIPAL = Symbol('outside principal');
type OutsideClaims = AccessTokenClaims & { [OUTSIDE_PRINCIPAL]?: OutsidePrincipal };

interface IssuerEntry {
  keys: ReturnType<typeof createRemoteJWKSet>;
  audiences: readonly string[];
  authorizedParties: readonly string[];
  domain: string;
  legacyDomain: string | undefined;
}

export class TrustedIssuers {
  private readonly entries = new Map<string, IssuerEntry>();

  constructor(
    issuers: readonly TrustedIssuer[],
    private readonly clock: Clock,
    options: JwksOptions = DEFAULT_JWKS_OPTIONS,
  ) {
    const problem = findIssuerDomainProblem(issuers.map((i) => i.issuer));
    if (problem) throw new Error(problem);
    for (const { issuer, jwksUri, audiences, authorizedParties } of issuers) {
      if (audiences.length === 0 && authorizedParties.length === 0) throw new Error(`trusted issuer ${issuer} needs an expected audience or client`);
      const host = legacyDomainOfIssuer(issuer);
      this.entries.set(issuer, {
        keys: createRemoteJWKSet(new URL(jwksUri), {
          timeoutDuration: options.timeoutMs,
          cooldownDuration: options.cooldownMs,
          cacheMaxAge: options.cacheMaxAgeMs,
        }),
        audiences,
        authorizedParties,
        domain: domainOfIssuer(issuer),
        // Rows of the host-only era can be claimed only when no other trusted issuer could own them.
        legacyDomain: issuers.filter((other) => legacyDomainOfIssuer(other.issuer) === host).length === 1 ? host : undefined,
      });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The (unverified) issuer of a token when it is one we trust, else undefined. */
  issuerOf(token: string): string | undefined {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    return typeof iss === 'string' && this.entries.has(iss) ? iss : undefined;
  }

  async verify(token: string, issuer: string): Promise<AccessTokenClaims> {
    const entry = this.entries.get(issuer);
    if (!entry) throw new ApiError('invalid_token');
    let payload: JWTPayload;
    let header: JWTHeaderParameters;
    try {
      ({ payload, protectedHeader: header } = await jwtVerify(token, entry.keys, {
        algorithms: OUTSIDE_ALGORITHMS,
        issuer,
        audience: entry.audiences.length > 0 ? [...entry.audiences] : undefined,
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: OUTSIDE_MAX_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.clock.now()),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new ApiError('token_expired');
      // The issuer's key set could not be fetched: not the client's fault, and the token may be fine.
      if (error instanceof joseErrors.JWKSTimeout || (error instanceof Error && !(error instanceof joseErrors.JOSEError))) {
        throw new ApiError('service_unavailable', 'The keys of the token issuer cannot be fetched right now; retry shortly.', {
          retryAfterSeconds: 5,
          cause: error,
        });
      }
      throw new ApiError('invalid_token');
    }
    const { exp, iat, sub } = payload;
    if (typeof exp !== 'number' || typeof iat !== 'number' || typeof sub !== 'string' || !SUBJECT_PATTERN.test(sub)) throw new ApiError('invalid_token');
    if (exp - iat > OUTSIDE_MAX_LIFETIME_SECONDS) throw new ApiError('invalid_token', 'The access token lives longer than allowed.');
    if (!isAccessToken(header, payload)) throw new ApiError('invalid_token', 'The token is not an access token.');
    if (entry.authorizedParties.length > 0 && !entry.authorizedParties.includes(authorizedPartyOf(payload) as string)) {
      throw new ApiError('invalid_token', 'The access token was issued to another client.');
    }
    return withPrincipal(payload, issuer, entry);
  }
}

/**
 * An ID token (or a refresh or logout token) signed by the same issuer must not pass for an access token.
 * Keycloak marks its tokens in a `typ` claim (`Bearer`, `ID`, `Refresh`) and Amazon Cognito in `token_use`;
 * where neither says, the claims only an ID token carries give it away.
 */
function isAccessToken(header: JWTHeaderParameters, payload: JWTPayload): boolean {
  if (header.typ !== undefined && (typeof header.typ !== 'string' || !ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase()))) return false;
  if (payload.typ !== undefined) return typeof payload.typ === 'string' && payload.typ.toLowerCase() === 'bearer';
  if (payload.token_use !== undefined) return payload.token_use === 'access';
  return !ID_TOKEN_CLAIMS.some((claim) => payload[claim] !== undefined);
}

/** The client a token was issued to: OIDC `azp`, or RFC 9068 `client_id` when the issuer does not send `azp`. */
function authorizedPartyOf(payload: JWTPayload): unknown {
  return payload.azp !== undefined ? payload.azp : payload.client_id;
}

/**
 * CSP names users in `username`, OIDC providers in `preferred_username`; without either it is an
 * application (the gate answers 403). A user's name and org follow the local rules: anything else is a 401.
 */
function withPrincipal(payload: JWTPayload, issuer: string, entry: IssuerEntry): AccessTokenClaims {
  const username = payload.username ?? payload.preferred_username;
  const claims: OutsideClaims = { ...(payload as AccessTokenClaims), username: username as string | undefined };
  if (username === undefined) return claims;
  const org = payload.context ?? DEFAULT_ORG;
  if (!isValidUsername(username)) throw new ApiError('invalid_token', 'The access token names a user the way no username may be written.');
  if (!isValidOrgId(org)) throw new ApiError('invalid_token', 'The access token names an org the way no org id may be written.');
  claims[OUTSIDE_PRINCIPAL] = { issuer, subject: payload.sub as string, username, orgId: org, domain: entry.domain, legacyDomain: entry.legacyDomain };
  return claims;
}

/**
 * Who an outside token names (issuer, subject, username, org, domain), for principals/outside-users.ts to find
 * or create. Undefined for every token TrustedIssuers did not verify, and for applications.
 */
export function outsidePrincipalOf(claims: AccessTokenClaims): OutsidePrincipal | undefined {
  return (claims as OutsideClaims)[OUTSIDE_PRINCIPAL];
}
