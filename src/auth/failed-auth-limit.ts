// The per-address limit on failed authentications, all of it: which refusals count as a failed
// authentication, and the 429 that replaces one beyond the limit. The error handler applies it to every refusal.
import type { FastifyRequest } from 'fastify';
import { ApiError, type ErrorCode } from '../errors.js';
import type { RefusalFilter } from '../http/error-handler.js';
import { rateLimitHeaders, type RateLimiter } from '../limits/rate-limiter.js';

/** Errors that count as a failed authentication for the per-address limit. */
export const FAILED_AUTH_CODES: ReadonlySet<ErrorCode> = new Set([
  'invalid_token',
  'token_expired',
  'token_too_large',
  'invalid_grant',
  'invalid_client',
  // A wrong passcode at sign-in: the per-principal lockout stops guessing one account, this stops
  // one address from spraying guesses across many accounts.
  'invalid_passcode',
  // A wrong password confirming an MFA operation (issue 8, item 6): counted per address as well.
  'wrong_password',
]);

export interface FailedAuthLimit {
  /** Failed authentications per client address. */
  limiter: RateLimiter;
}

/**
 * Only failures are counted, and only failures are refused. The limit is checked after a credential has
 * failed, never before one is tried, so a valid credential from an address that others have failed from
 * (an office NAT, a proxy) is accepted; a failure beyond the limit is answered 429 auth_rate_limited
 * instead of its own error until the window ends. Guessing one principal's secrets is bounded elsewhere
 * (per-principal lockout; API tokens and client secrets have 256 bits); this limit slows sprays across
 * principals and keeps the noise down.
 */
export function limitFailedAuth(limit: FailedAuthLimit): RefusalFilter {
  return (request, refusal) => (FAILED_AUTH_CODES.has(refusal.code) ? throttleFailedAuth(limit, request, refusal) : refusal);
}

async function throttleFailedAuth(limit: FailedAuthLimit, request: FastifyRequest, failure: ApiError): Promise<ApiError> {
  let decision;
  try {
    decision = await limit.limiter.consume(request.ip);
  } catch (err) {
    request.log.error({ err }, 'failed-auth limiter unavailable');
    return failure;
  }
  if (decision.allowed) return failure;
  return new ApiError('auth_rate_limited', undefined, { headers: rateLimitHeaders(decision), retryAfterSeconds: decision.resetSeconds });
}
