// The two limits the service enforces: MFA API requests per principal, failed authentications per address.
import type { Config } from '../config.js';
import { memoryRateLimiter, type RateLimiter } from './rate-limiter.js';

export interface Limits {
  /** MFA API requests per principal (`sub`). */
  requests: RateLimiter;
  /** Failed authentications (bad access tokens, API tokens, client secrets) per client address. */
  failedAuth: RateLimiter;
  close?(): Promise<void>;
}

export function createMemoryLimits(config: Pick<Config, 'rateLimitPerMinute' | 'failedAuthPerMinute'>): Limits {
  return {
    requests: memoryRateLimiter('mfa', config.rateLimitPerMinute),
    failedAuth: memoryRateLimiter('failed-auth', config.failedAuthPerMinute),
  };
}
