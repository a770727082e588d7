// RFC 9470 step-up: whether the access token proves a recent second factor, and the challenge when it does not.
import { ApiError } from '../errors.js';
import type { AccessTokenClaims } from '../tokens/claims.js';

/** `amr` values (RFC 8176) of a second factor: a passcode, a recovery code, a passkey (hardware or synced software key). */
export type StepUpFactor = 'otp' | 'recovery_code' | 'hwk' | 'swk';

/** How the principal signed in, as far as this service vouches for it. */
export interface TokenAuthentication {
  /** `amr` of a token this service signed; empty otherwise. */
  amr: readonly string[];
  /** `auth_time` (epoch seconds) of that second factor. */
  authTimeSeconds?: number;
}

/** A small allowance for clocks of several copies that disagree: auth_time a little in the future is fine. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Only our own tokens count: we put `amr` there after verifying the principal's own device. An outside
 * issuer's `amr` says nothing about the device registered here, so its principals send a passcode instead.
 */
export function tokenAuthentication(claims: AccessTokenClaims, ownIssuer: string): TokenAuthentication {
  if (claims.iss !== ownIssuer || !Array.isArray(claims.amr) || typeof claims.auth_time !== 'number') return { amr: [] };
  return { amr: claims.amr.filter((m): m is string => typeof m === 'string'), authTimeSeconds: claims.auth_time };
}

/** Whether the token's second factor is one of `factors` and at most `maxAgeSeconds` old at `nowMs`. */
export function hasRecentSecondFactor(auth: TokenAuthentication, factors: readonly StepUpFactor[], nowMs: number, maxAgeSeconds: number): boolean {
  if (auth.authTimeSeconds === undefined || !auth.amr.some((m) => (factors as readonly string[]).includes(m))) return false;
  const ageSeconds = nowMs / 1000 - auth.authTimeSeconds;
  return ageSeconds <= maxAgeSeconds && ageSeconds >= -CLOCK_TOLERANCE_SECONDS;
}

/**
 * The RFC 9470 §3 challenge: 401 with `WWW-Authenticate: Bearer error="insufficient_user_authentication",
 * error_description="…", max_age=N`. `description` must not contain quotes or backslashes.
 */
export function insufficientUserAuthentication(description: string, maxAgeSeconds: number): ApiError {
  const challenge = `Bearer error="insufficient_user_authentication", error_description="${description}", max_age=${maxAgeSeconds}`;
  return new ApiError('insufficient_user_authentication', description, { headers: { 'WWW-Authenticate': challenge } });
}
