// The limits the service enforces, and the rules every implementation (memory, Redis) shares: how one
// passcode attempt is guarded, and how a refusal is announced. A leaf: the implementations import it.
import type { Config } from '../config.js';
import { ApiError } from '../errors.js';
import type { Events, LimitName } from '../events/events.js';
import { rateLimitHeaders, type RateLimiter } from './rate-limiter.js';

export interface Limits {
  /** MFA API requests per principal (`sub`). */
  requests: RateLimiter;
  /** Failed authentications (bad access tokens, API tokens, client secrets) per client address. */
  failedAuth: RateLimiter;
  /** Exchanges of one live API token (see guardApiTokenExchange), keyed by the token's hash. */
  apiTokenExchanges: RateLimiter;
  /**
   * Call before checking a passcode or recovery code of a principal (any endpoint, token exchange
   * included). Counts one attempt; throws ApiError 429 (`rate_limited`) over the limit and 503
   * (`service_unavailable`) when the shared counter store cannot be reached: passcode checks
   * fail closed, never open. The durable lockout in the database is separate and still applies.
   */
  passcodeGuard(principalKey: string): Promise<void>;
  /** Whether the limit store answers (readiness); absent means always ready (memory). */
  ready?(): Promise<boolean>;
  close?(): Promise<void>;
}

export type LimitsConfig = Pick<Config, 'rateLimitPerMinute' | 'failedAuthPerMinute' | 'apiTokenExchangesPerMinute'>;

export const API_TOKEN_EXCHANGE_POLICY = 'api-token-exchange';

/** Seconds a client should wait before retrying when the shared limit store is down. */
const UNAVAILABLE_RETRY_SECONDS = 5;

/** One passcode attempt on `limiter`; shared by the memory and Redis limits. */
export async function guardPasscodes(limiter: RateLimiter, principalKey: string): Promise<void> {
  let decision;
  try {
    decision = await limiter.consume(principalKey);
  } catch (cause) {
    throw new ApiError('service_unavailable', 'Passcode verification is temporarily unavailable; retry shortly.', {
      retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS,
      cause,
    });
  }
  if (!decision.allowed) {
    throw new ApiError('rate_limited', 'Too many passcode attempts; retry later.', {
      headers: rateLimitHeaders(decision),
      retryAfterSeconds: decision.resetSeconds,
    });
  }
}

/** The callback a limiter calls when it refuses: announces `rate_limited` for that limit. */
export function announceRefusals(events: Events): (limit: LimitName) => () => void {
  return (limit) => () => events.emit('rate_limited', { limit });
}
