// Minting CSP-compatible access tokens (RS256 JWTs) and verifying the ones presented in csp-auth-token.
import { randomUUID } from 'node:crypto';
import { type Clock, nowSeconds } from '../clock.js';
import { ApiError } from '../errors.js';
import type { AccessTokenClaims } from './claims.js';
import { signCompactJws } from './jws-signer.js';
import { decodeJsonObject, isValidRs256Signature } from './jws-verifier.js';
import type { KeyRing, SigningKey } from './key-ring.js';
import { SIGNING_ALGORITHM } from './signing-keys.js';
import type { TrustedIssuers } from './trusted-issuers.js';

export const USER_PERMS = ['csp:org_member'];

export interface MintInput {
  /** `<domain>:<id>` for users, the client id for applications. */
  sub: string;
  username?: string;
  domain?: string;
  orgId: string;
  perms: string[];
  azp: string;
  amr?: string[];
  authTime?: number;
  /** Epoch seconds by which the organization's MFA policy wants the principal enrolled (docs/organizations.md). */
  mfaEnrollmentDue?: number;
  /** Interactive sign-in: the authentication context class, and the granted OIDC scope (userinfo reads it). */
  acr?: string;
  scope?: string;
  /** Epoch seconds; default now. Given when an ID token is issued alongside, so both share iat and exp. */
  issuedAt?: number;
}

export class AccessTokenIssuer {
  constructor(
    private readonly keys: KeyRing,
    private readonly clock: Clock,
    private readonly issuer: string,
    readonly ttlSeconds: number,
  ) {}

  /** `signer`: the key an ID token issued alongside is signed with too (read once: one generation read, one kid). */
  async mint(input: MintInput, signer?: SigningKey): Promise<string> {
    const { kid, privateKey } = signer ?? (await this.keys.signingKey());
    const iat = input.issuedAt ?? nowSeconds(this.clock);
    const claims: Record<string, unknown> = {
      domain: input.domain,
      context: input.orgId,
      context_name: input.orgId,
      perms: input.perms,
      azp: input.azp,
      username: input.username,
      amr: input.amr,
      auth_time: input.authTime,
      mfa_enrollment_due: input.mfaEnrollmentDue,
      acr: input.acr,
      scope: input.scope,
    };
    for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
    const registered = { iss: this.issuer, sub: input.sub, iat, exp: iat + this.ttlSeconds, jti: randomUUID() };
    return signCompactJws({ alg: SIGNING_ALGORITHM, typ: 'JWT', kid }, { ...claims, ...registered }, privateKey);
  }
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Claims every access token carries; `iss` must also be ours. */
const REQUIRED_CLAIMS = ['iss', 'exp', 'iat', 'sub', 'jti'] as const;
/** Accept a small clock skew between copies and issuers, nothing more. */
const CLOCK_TOLERANCE_SECONDS = 30;

/** A base64url segment is canonical when re-encoding its bytes gives it back (no stray bits, no padding). */
function isCanonicalBase64Url(segment: string): boolean {
  return Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

export interface VerifierOptions {
  issuer: string;
  maxTokenBytes: number;
  /** Longest lifetime we accept; bounds the age of `iat` too. */
  maxLifetimeSeconds: number;
  /** Verified tokens kept in memory, so the signature is checked once per token per process. */
  cacheSize?: number;
  /** Outside issuers (--trusted-issuer); consulted only on a cache miss, only when configured. */
  trusted?: TrustedIssuers;
}

/**
 * Verifies csp-auth-token values under an explicit allowlist: RS256 only, a kid we trust, our issuer,
 * required exp/iat/sub/jti, bounded size and lifetime, canonical encoding. Any doubt is a 401.
 */
/**
 * The verified-token cache is keyed by the token's last characters (the end of its signature: random, and unique
 * per token) and each entry keeps the whole token, compared before use. A Map hashes its whole key on every
 * lookup, and a fresh header string is hashed anew on every request: ~1.7 µs for an 800-character token against
 * ~0.3 µs for its tail and one comparison (measured on the bench machine). A token that shares a cached one's
 * tail but differs anywhere else is a miss and is verified in full, so forging the rest of a token gains nothing.
 */
const CACHE_KEY_CHARS = 43;
const cacheKeyOf = (token: string): string => (token.length > CACHE_KEY_CHARS ? token.slice(-CACHE_KEY_CHARS) : token);

export class AccessTokenVerifier {
  private readonly cache = new Map<string, { token: string; claims: AccessTokenClaims }>();
  private readonly cacheSize: number;
  /** The key ring's trust epoch the cache was filled under; a revoked key empties the cache. */
  private trustEpoch = 0;

  constructor(
    private readonly keys: KeyRing,
    private readonly clock: Clock,
    private readonly options: VerifierOptions,
  ) {
    this.cacheSize = options.cacheSize ?? 100_000;
  }

  /**
   * The claims of a token verified before (signature already checked), or undefined when it must
   * go through verify(). Throws when the token is absent, too large or has expired since.
   */
  verifyCached(token: string | undefined): AccessTokenClaims | undefined {
    if (token === undefined || token === '') throw new ApiError('unauthenticated');
    if (token.length > this.options.maxTokenBytes) throw new ApiError('token_too_large');
    if (this.keys.trustEpoch !== this.trustEpoch) this.forgetVerifiedTokens();
    const entry = this.cache.get(cacheKeyOf(token));
    if (entry === undefined || entry.token !== token) return undefined;
    this.checkTimes(entry.claims);
    return entry.claims;
  }

  async verify(token: string | undefined): Promise<AccessTokenClaims> {
    const cached = this.verifyCached(token);
    if (cached) return cached;
    const verified = token as string; // verifyCached has refused an absent token
    const epoch = this.keys.trustEpoch;
    const outside = this.options.trusted?.size && JWT_SHAPE.test(verified) ? this.options.trusted.issuerOf(verified) : undefined;
    const claims =
      outside !== undefined && outside !== this.options.issuer
        ? await this.options.trusted!.verify(verified, outside)
        : await this.verifySignatureAndClaims(verified);
    // Not remembered when a key was revoked meanwhile: the key that verified it may be the revoked one.
    if (epoch !== this.keys.trustEpoch) return claims;
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKeyOf(verified), { token: verified, claims });
    return claims;
  }

  /** After a key was revoked (`keys rotate --revoke-previous`): every token is verified afresh. */
  private forgetVerifiedTokens(): void {
    this.cache.clear();
    this.trustEpoch = this.keys.trustEpoch;
  }

  private checkTimes(claims: AccessTokenClaims): void {
    const now = nowSeconds(this.clock);
    if (claims.exp <= now - CLOCK_TOLERANCE_SECONDS) throw new ApiError('token_expired');
    if (typeof claims.nbf === 'number' && claims.nbf > now + CLOCK_TOLERANCE_SECONDS) throw new ApiError('invalid_token', 'The access token is not valid yet.');
  }

  /** Signature first, claims after: nothing a forger wrote is trusted before the signature holds. */
  private async verifySignatureAndClaims(token: string): Promise<AccessTokenClaims> {
    if (!JWT_SHAPE.test(token)) throw new ApiError('invalid_token');
    const [encodedHeader, encodedPayload, signature] = token.split('.') as [string, string, string];
    if (![encodedHeader, encodedPayload, signature].every(isCanonicalBase64Url)) throw new ApiError('invalid_token');
    const header = decodeJsonObject(encodedHeader);
    // RS256 only, under a kid; no crit (no extension is understood), no b64 (our payloads are always encoded).
    if (header?.alg !== SIGNING_ALGORITHM || typeof header.kid !== 'string' || header.crit !== undefined || header.b64 !== undefined)
      throw new ApiError('invalid_token');
    // A kid is only ever a map key here, never a path or query, but refuse odd ones early anyway.
    if (header.kid.length > 128) throw new ApiError('invalid_token');
    const key = await this.keys.accessTokenKey(header.kid);
    if (!key) throw new ApiError('invalid_token', 'The access token was signed by an unknown key.');
    if (!isValidRs256Signature(`${encodedHeader}.${encodedPayload}`, signature, key)) throw new ApiError('invalid_token');
    const payload = decodeJsonObject(encodedPayload);
    if (!payload) throw new ApiError('invalid_token');
    this.checkClaims(payload);
    return this.checkShape(payload);
  }

  /** The claim checks jose's jwtVerify made for us (issuer, required claims, exp, nbf, iat age), and their codes. */
  private checkClaims(payload: Record<string, unknown>): void {
    for (const claim of REQUIRED_CLAIMS) if (!Object.hasOwn(payload, claim)) throw new ApiError('invalid_token');
    if (payload.iss !== this.options.issuer) throw new ApiError('invalid_token');
    const { exp, iat, nbf } = payload;
    if (typeof exp !== 'number' || typeof iat !== 'number' || (nbf !== undefined && typeof nbf !== 'number')) throw new ApiError('invalid_token');
    const now = nowSeconds(this.clock);
    if (nbf !== undefined && nbf > now + CLOCK_TOLERANCE_SECONDS) throw new ApiError('invalid_token');
    if (exp <= now - CLOCK_TOLERANCE_SECONDS) throw new ApiError('token_expired');
    // Issued longer ago than any token may live: expired whatever its exp says. Issued in the future: forged or misconfigured.
    const ageSeconds = now - iat;
    if (ageSeconds - CLOCK_TOLERANCE_SECONDS > this.options.maxLifetimeSeconds + CLOCK_TOLERANCE_SECONDS) throw new ApiError('token_expired');
    if (ageSeconds < -CLOCK_TOLERANCE_SECONDS) throw new ApiError('invalid_token');
  }

  private checkShape(payload: Record<string, unknown>): AccessTokenClaims {
    const { exp, iat, sub } = payload;
    if (typeof exp !== 'number' || typeof iat !== 'number' || typeof sub !== 'string' || sub === '') throw new ApiError('invalid_token');
    if (exp - iat > this.options.maxLifetimeSeconds) throw new ApiError('invalid_token', 'The access token lives longer than allowed.');
    if (payload.username !== undefined && typeof payload.username !== 'string') throw new ApiError('invalid_token');
    return payload as unknown as AccessTokenClaims;
  }
}
