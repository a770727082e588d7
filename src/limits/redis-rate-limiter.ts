// A fixed-window limit counted in Redis by one small script of ours (evalsha), with an optional limiter of this
// process to answer while Redis cannot. It replaced rate-limiter-flexible's RateLimiterRedis on every MFA request:
// same keys, same counter, same window (see the README's dependency list for why). The events of one event-loop
// turn (every request read in one poll phase) go to Redis as one script call over all their keys.
import type { Redis } from 'ioredis';
import { type RateLimitDecision, type RateLimiter, windowDecision } from './rate-limiter.js';

/**
 * One event in the window of each of KEYS (a key may appear several times: one event each, in order); ARGV[1] is
 * the window in ms. A window opens at a key's first event (the counter's expiry is set then, and never moved by
 * later events); refused events still count. Returns, per key in order, the count so far and the ms left in the
 * window, or -1 and 0 when Redis could not count it (a value that is not a counter): that event alone is answered
 * as a failure. A counter found without an expiry (written by something else) gets one, as rate-limiter-flexible's
 * script does. Two commands per event (INCR, PTTL), a third at a window's start.
 */
export const FIXED_WINDOW_SCRIPT = `local answers = {}
for i, key in ipairs(KEYS) do
  local count = redis.pcall('incr', key)
  if type(count) == 'table' then
    answers[2 * i - 1] = -1
    answers[2 * i] = 0
  else
    local ttl = redis.call('pttl', key)
    if ttl < 0 then
      redis.call('pexpire', key, ARGV[1])
      ttl = tonumber(ARGV[1])
    end
    answers[2 * i - 1] = count
    answers[2 * i] = ttl
  end
end
return answers`;

/** The name under which the script is defined on the ioredis client (ioredis sends it by its SHA, loading it when Redis does not know it). */
const COMMAND = 'principalMfaFixedWindows';

/** An ioredis client with our script defined on it (see defineFixedWindow). Arguments: the number of keys, the keys, the window in ms. */
export type FixedWindowRedis = Redis & { [COMMAND](...args: (string | number)[]): Promise<number[]> };

/** Defines the script on the client once: ioredis then sends EVALSHA, and EVAL when Redis answers NOSCRIPT (after a restart or a flush). */
export function defineFixedWindow(client: Redis): FixedWindowRedis {
  if (!(COMMAND in client)) client.defineCommand(COMMAND, { lua: FIXED_WINDOW_SCRIPT });
  return client as FixedWindowRedis;
}

interface Waiter {
  key: string;
  resolve(decision: RateLimitDecision): void;
  reject(error: unknown): void;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly windowMs: number;
  /** The events of the current event-loop turn, sent at its end (setImmediate). */
  private gathering: Waiter[] | undefined;
  private readonly send = () => this.sendBatch();

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

  consume(key: string): Promise<RateLimitDecision> {
    return new Promise((resolve, reject) => {
      if (this.gathering === undefined) {
        this.gathering = [];
        setImmediate(this.send);
      }
      this.gathering.push({ key, resolve, reject });
    });
  }

  private async sendBatch(): Promise<void> {
    const waiters = this.gathering as Waiter[];
    this.gathering = undefined;
    let answers: number[];
    try {
      // Not connected: fail at once instead of queueing (the client has no offline queue either).
      if (this.client.status !== 'ready') throw new Error('Redis connection is not ready');
      const args: (string | number)[] = [waiters.length];
      for (const waiter of waiters) args.push(this.keyPrefix + waiter.key);
      args.push(this.windowMs);
      answers = await this.client[COMMAND](...args);
    } catch (cause) {
      for (const waiter of waiters) this.fail(waiter, cause);
      return;
    }
    for (let i = 0; i < waiters.length; i++) {
      const waiter = waiters[i] as Waiter;
      const count = answers[2 * i] as number;
      if (count < 0) this.fail(waiter, new Error(`Redis could not count ${this.policy} (not a counter)`));
      else waiter.resolve(this.decision(count, answers[2 * i + 1] as number));
    }
  }

  private decision(count: number, msLeft: number): RateLimitDecision {
    const decision = windowDecision(this, count, msLeft);
    if (!decision.allowed) this.onRefused?.();
    return decision;
  }

  /** One event Redis could not count: the fallback answers it, or it rejects. */
  private fail(waiter: Waiter, cause: unknown): void {
    if (this.fallback) this.fallback.consume(waiter.key).then(waiter.resolve, waiter.reject);
    else waiter.reject(cause);
  }
}
