// The limits the service enforces: MFA API requests per principal, failed authentications per address,
// passcode attempts per principal, exchanges per API token. In memory by default; Redis (limits/redis.ts) when copies share them.
import type { Config } from '../config.js';
import { ApiError } from '../errors.js';
import { hashSecret } from '../tokens/secrets.js';
import { memoryRateLimiter, rateLimitHeaders, type RateLimiter } from './rate-limiter.js';

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
    throw new ApiError('rate_limited', 'Too many passcode attempts; retry later.', { headers: rateLimitHeaders(decision), retryAfterSeconds: decision.resetSeconds });
  }
}

export type LimitsConfig = Pick<Config, 'rateLimitPerMinute' | 'failedAuthPerMinute' | 'apiTokenExchangesPerMinute'>;

export const API_TOKEN_EXCHANGE_POLICY = 'api-token-exchange';

/**
 * Call once a presented API token is known to be live, before the passcode is checked. Every exchange
 * counts, successful or not: what is bounded is what one token can produce (access tokens, and an
 * audit row per exchange). The key is the token's hash, so no token ever reaches the limit store.
 */
export async function guardApiTokenExchange(limits: Limits, apiToken: string): Promise<void> {
  const decision = await limits.apiTokenExchanges.consume(hashSecret(apiToken));
  if (!decision.allowed) throw new ApiError('exchange_rate_limited', undefined, { headers: rateLimitHeaders(decision), retryAfterSeconds: decision.resetSeconds });
}

export function createMemoryLimits(config: LimitsConfig): Limits {
  const passcodes = memoryRateLimiter('mfa-passcode', config.rateLimitPerMinute);
  return {
    requests: memoryRateLimiter('mfa', config.rateLimitPerMinute),
    failedAuth: memoryRateLimiter('failed-auth', config.failedAuthPerMinute),
    apiTokenExchanges: memoryRateLimiter(API_TOKEN_EXCHANGE_POLICY, config.apiTokenExchangesPerMinute),
    passcodeGuard: (principalKey) => guardPasscodes(passcodes, principalKey),
  };
}

/** Redis when the config names one, memory otherwise. */
export async function createLimits(config: LimitsConfig & Pick<Config, 'redisUrl'>): Promise<Limits> {
  if (!config.redisUrl) return createMemoryLimits(config);
  const { createRedisLimits } = await import('./redis.js');
  return createRedisLimits(config);
}
