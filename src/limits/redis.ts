// Rate limits kept in Redis so that every copy of the service counts against the same window.
// When Redis is unreachable: request and failed-auth limits fall back to this process's memory
// (status reads keep working), passcode attempts fail closed (503), and reconnection is automatic.
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Events } from '../events/events.js';
import { announceRefusals, API_TOKEN_EXCHANGE_POLICY, guardPasscodes, type Limits, type LimitsConfig } from './policies.js';
import { MemoryRateLimiter } from './rate-limiter.js';
import { defineFixedWindow, RedisRateLimiter } from './redis-rate-limiter.js';

/** Bounds so that a slow or absent Redis costs a request milliseconds, not seconds. */
export const REDIS_LIMITS = {
  connectTimeoutMs: 2_000,
  commandTimeoutMs: 500,
  /** Reconnect back-off: grows to this and stays there, forever (recovery needs no restart). */
  maxReconnectDelayMs: 1_000,
};

export interface RedisLimitsOptions {
  /** Namespace of the keys; copies that must share limits use the same one. */
  keyPrefix?: string;
}

/** Every refusal, the fallback's included, is announced on `events`. */
export function createRedisLimits(config: LimitsConfig & Pick<Config, 'redisUrl'>, events: Events, options: RedisLimitsOptions = {}): Limits {
  if (!config.redisUrl) throw new Error('createRedisLimits needs a redis URL');
  const prefix = options.keyPrefix ?? 'principal-mfa';
  const client = new Redis(config.redisUrl, {
    connectTimeout: REDIS_LIMITS.connectTimeoutMs,
    commandTimeout: REDIS_LIMITS.commandTimeoutMs,
    // Fail at once while disconnected instead of queueing: the fallback (or 503) answers meanwhile.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, REDIS_LIMITS.maxReconnectDelayMs),
    lazyConnect: false,
  });
  // Connection errors are expected during an outage and handled per call; an unheard 'error'
  // event would only print noise.
  client.on('error', () => undefined);

  const refused = announceRefusals(events);
  const counter = defineFixedWindow(client);
  // Keys as rate-limiter-flexible laid them out (`${prefix}:${name}:${key}`), so copies of an older release share
  // the same counters during a rolling upgrade.
  const shared = (name: string, points: number, insured: boolean, onRefused: () => void) =>
    new RedisRateLimiter(
      name,
      points,
      60,
      counter,
      `${prefix}:${name}:`,
      // The fallback counts per process only: a bounded degradation, not a bypass.
      insured ? new MemoryRateLimiter(name, points, 60, Date.now, onRefused) : undefined,
      onRefused,
    );

  const passcodes = shared('mfa-passcode', config.rateLimitPerMinute, false, refused('passcodes'));
  return {
    requests: shared('mfa', config.rateLimitPerMinute, true, refused('requests')),
    failedAuth: shared('failed-auth', config.failedAuthPerMinute, true, refused('failed_auth')),
    apiTokenExchanges: shared(API_TOKEN_EXCHANGE_POLICY, config.apiTokenExchangesPerMinute, true, refused('api_token_exchanges')),
    passcodeGuard: (principalKey) => guardPasscodes(passcodes, principalKey),
    async ready() {
      if (client.status !== 'ready') return false;
      try {
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      client.disconnect();
    },
  };
}
