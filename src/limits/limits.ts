// The limits the service enforces: MFA API requests per principal, failed authentications per address,
// passcode attempts per principal, exchanges per API token. In memory by default; Redis (limits/redis.ts) when copies share them.
import type { Config } from '../config.js';
import { ApiError } from '../errors.js';
import type { Events } from '../events/events.js';
import { hashSecret } from '../secrets/bearer-secrets.js';
import { announceRefusals, API_TOKEN_EXCHANGE_POLICY, guardPasscodes, type Limits, type LimitsConfig } from './policies.js';
import { memoryRateLimiter, rateLimitHeaders } from './rate-limiter.js';

export type { Limits, LimitsConfig } from './policies.js';

/**
 * Call once a presented API token is known to be live, before the passcode is checked. Every exchange
 * counts, successful or not: what is bounded is what one token can produce (access tokens, and an
 * audit row per exchange). The key is the token's hash, so no token ever reaches the limit store.
 */
export async function guardApiTokenExchange(limits: Limits, apiToken: string): Promise<void> {
  const decision = await limits.apiTokenExchanges.consume(hashSecret(apiToken));
  if (!decision.allowed)
    throw new ApiError('exchange_rate_limited', undefined, { headers: rateLimitHeaders(decision), retryAfterSeconds: decision.resetSeconds });
}

/** Limits of this process alone; every refusal is announced on `events`. */
export function createMemoryLimits(config: LimitsConfig, events: Events): Limits {
  const refused = announceRefusals(events);
  const passcodes = memoryRateLimiter('mfa-passcode', config.rateLimitPerMinute, refused('passcodes'));
  return {
    requests: memoryRateLimiter('mfa', config.rateLimitPerMinute, refused('requests')),
    failedAuth: memoryRateLimiter('failed-auth', config.failedAuthPerMinute, refused('failed_auth')),
    apiTokenExchanges: memoryRateLimiter(API_TOKEN_EXCHANGE_POLICY, config.apiTokenExchangesPerMinute, refused('api_token_exchanges')),
    passcodeGuard: (principalKey) => guardPasscodes(passcodes, principalKey),
  };
}

/** Redis when the config names one, memory otherwise. */
export async function createLimits(config: LimitsConfig & Pick<Config, 'redisUrl'>, events: Events): Promise<Limits> {
  if (!config.redisUrl) return createMemoryLimits(config, events);
  const { createRedisLimits } = await import('./redis.js');
  return createRedisLimits(config, events);
}
