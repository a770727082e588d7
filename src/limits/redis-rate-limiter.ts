// A fixed-window limit counted in Redis by one small script of ours per event (evalsha), with an optional limiter
// of this process to answer while Redis cannot. It replaced rate-limiter-flexible's RateLimiterRedis on every MFA
// request: same keys, same counter, same window (see the README's dependency list for why).
import type { Redis } from 'ioredis';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.js';

/**
 * One event in the window of KEYS[1]; ARGV[1] is the window in ms. The window opens at a key's first event (the
 * counter's expiry is set then, and never moved by later events); refused events still count. Returns the count so
 * far and the ms left in the window. A counter found without an expiry (written by something else) gets one, as
 * rate-limiter-flexible's script does. Two commands per event on the hot path (INCR, PTTL), a third at a window's start.
 */
export const FIXED_WINDOW_SCRIPT = `local count = redis.call('incr', KEYS[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl < 0 then
  redis.call('pexpire', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

/** The name under which the script is defined on the ioredis client (ioredis sends it by its SHA, loading it when Redis does not know it). */
const COMMAND = 'principalMfaFixedWindow';

/** An ioredis client with our script defined on it (see defineFixedWindow). */
export type FixedWindowRedis = Redis & { [COMMAND](key: string, windowMs: number): Promise<[number, number]> };

/** Defines the script on the client once: ioredis then sends EVALSHA, and EVAL when Redis answers NOSCRIPT (after a restart or a flush). */
export function defineFixedWindow(client: Redis): FixedWindowRedis {
  if (!(COMMAND in client)) client.defineCommand(COMMAND, { numberOfKeys: 1, lua: FIXED_WINDOW_SCRIPT });
  return client as FixedWindowRedis;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly windowMs: number;

  constructor(
    readonly policy: string,
    readonly limit: number,
    readonly windowSeconds: number,
    private readonly client: FixedWindowRedis,
    /** Prepended to every key (rate-limiter-flexible's layout: `${keyPrefix}${key}` with a prefix ending in ':'). */
    private readonly keyPrefix: string,
    /**
     * Answers while Redis cannot (not connected, an error, a timeout): a bounded degradation (this process counts
     * alone), not a bypass. Without one, consume rejects and the caller decides (passcodes: 503).
     */
    private readonly fallback: RateLimiter | undefined,
    /** Told of every refusal counted in Redis (the fallback announces its own). */
    private readonly onRefused?: () => void,
  ) {
    this.windowMs = windowSeconds * 1000;
  }

  async consume(key: string): Promise<RateLimitDecision> {
    let reply: [number, number];
    try {
      // Not connected: fail at once instead of queueing (the client has no offline queue either).
      if (this.client.status !== 'ready') throw new Error('Redis connection is not ready');
      reply = await this.client[COMMAND](this.keyPrefix + key, this.windowMs);
    } catch (cause) {
      if (this.fallback) return this.fallback.consume(key);
      throw cause;
    }
    const count = reply[0];
    const allowed = count <= this.limit;
    if (!allowed) this.onRefused?.();
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, this.limit - count),
      resetSeconds: Math.max(1, Math.ceil(reply[1] / 1000)),
      windowSeconds: this.windowSeconds,
      policy: this.policy,
    };
  }
}
