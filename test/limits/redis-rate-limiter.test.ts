// The Redis fixed-window limiter against a real redis-server: the window opens at a key's first event and is not
// moved by later ones, refused events count, the counters are rate-limiter-flexible's (a rolling upgrade shares
// them), the script survives a SCRIPT FLUSH, and an error answers from the fallback or rejects without one.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { MemoryRateLimiter } from '../../src/limits/rate-limiter.js';
import { defineFixedWindow, type FixedWindowRedis, RedisRateLimiter } from '../../src/limits/redis-rate-limiter.js';
import { eventually, sharedServerUrls } from '../support/infra.js';

describe('RedisRateLimiter', () => {
  let client: FixedWindowRedis;
  before(async () => {
    client = defineFixedWindow(new Redis(process.env.PRINCIPAL_MFA_TEST_REDIS_URL ?? sharedServerUrls().redis));
    await eventually(async () => client.status === 'ready', 10_000, 'redis connection');
  });
  after(() => client.disconnect());

  /** A limiter of `limit` per minute under a key prefix of its own; `refusals` counts its announcements. */
  function limiter(limit: number, fallback?: MemoryRateLimiter) {
    const prefix = `pmfa-test-${randomUUID()}:mfa:`;
    const refusals = { count: 0 };
    return { prefix, refusals, limiter: new RedisRateLimiter('mfa', limit, 60, client, prefix, fallback, () => refusals.count++) };
  }

  test('opens the window at a key’s first event and counts down what is left', async () => {
    const { prefix, limiter: l } = limiter(5);
    const first = await l.consume('alice');
    assert.deepEqual(first, { allowed: true, limit: 5, remaining: 4, resetSeconds: 60, windowSeconds: 60, policy: 'mfa' });
    const ttl = await client.pttl(`${prefix}alice`);
    assert.ok(ttl > 0 && ttl <= 60_000, `expiry ${ttl}`);
    assert.equal((await l.consume('alice')).remaining, 3);
    assert.equal((await l.consume('bob')).remaining, 4, 'another key has a window of its own');
  });

  test('never moves the window: later events keep the expiry the first one set', async () => {
    const { prefix, limiter: l } = limiter(5);
    await l.consume('alice');
    await client.pexpire(`${prefix}alice`, 4_000); // as if 56 s of the window had passed
    const later = await l.consume('alice');
    assert.equal(later.resetSeconds, 4);
    assert.ok((await client.pttl(`${prefix}alice`)) <= 4_000);
  });

  test('counts events of one turn (one script call) each exactly once, a key repeated included', async () => {
    const { prefix, limiter: l } = limiter(50);
    const decisions = await Promise.all(Array.from({ length: 20 }, () => l.consume('alice')));
    assert.deepEqual(
      decisions.map((d) => d.remaining).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => 30 + i),
    );
    assert.equal(await client.get(`${prefix}alice`), '20');
  });

  test('refuses past the limit, counts refused events too, and announces each refusal', async () => {
    const { prefix, refusals, limiter: l } = limiter(2);
    assert.equal((await l.consume('alice')).allowed, true);
    assert.equal((await l.consume('alice')).allowed, true);
    const refused = await l.consume('alice');
    assert.equal(refused.allowed, false);
    assert.equal(refused.remaining, 0);
    assert.ok(refused.resetSeconds >= 1);
    assert.equal((await l.consume('alice')).allowed, false);
    assert.equal(await client.get(`${prefix}alice`), '4');
    assert.equal(refusals.count, 2);
  });

  test('gives a counter found without an expiry one, so that it cannot refuse forever', async () => {
    const { prefix, limiter: l } = limiter(10);
    await client.set(`${prefix}alice`, '3');
    assert.equal((await l.consume('alice')).remaining, 6);
    const ttl = await client.pttl(`${prefix}alice`);
    assert.ok(ttl > 0 && ttl <= 60_000, `expiry ${ttl}`);
  });

  test('shares its counters with rate-limiter-flexible’s RateLimiterRedis (a rolling upgrade counts once)', async () => {
    const { prefix, limiter: l } = limiter(10);
    const older = new RateLimiterRedis({ storeClient: client, keyPrefix: prefix.slice(0, -1), points: 10, duration: 60 });
    await older.consume('alice');
    await older.consume('alice');
    assert.equal((await l.consume('alice')).remaining, 7);
    assert.equal((await older.consume('alice')).remainingPoints, 6);
  });

  test('still counts after Redis forgot the script (SCRIPT FLUSH, as after a restart)', async () => {
    const { limiter: l } = limiter(10);
    await l.consume('alice');
    await client.script('FLUSH');
    assert.equal((await l.consume('alice')).remaining, 8);
    assert.equal((await l.consume('alice')).remaining, 7);
  });

  test('answers from the fallback when Redis fails the call, and rejects when it has none', async () => {
    const insured = limiter(10, new MemoryRateLimiter('mfa', 1, 60));
    const bare = limiter(10);
    // A value the script cannot increment: Redis answers the call with an error.
    await client.set(`${insured.prefix}alice`, 'not a number');
    await client.set(`${bare.prefix}alice`, 'not a number');
    const fallback = await insured.limiter.consume('alice');
    assert.equal(fallback.allowed, true);
    assert.equal(fallback.limit, 1, 'the fallback’s own count');
    assert.equal((await insured.limiter.consume('alice')).allowed, false, 'the fallback limits too: no bypass');
    await assert.rejects(bare.limiter.consume('alice'), /not a counter/);
  });

  test('fails only the event Redis could not count: the others sent with it are counted', async () => {
    const { prefix, limiter: l } = limiter(10);
    await client.set(`${prefix}broken`, 'not a number');
    const [before, broken, after] = await Promise.allSettled([l.consume('alice'), l.consume('broken'), l.consume('alice')]);
    assert.deepEqual(
      [before, after].map((r) => r.status === 'fulfilled' && r.value.remaining),
      [9, 8],
    );
    assert.equal(broken.status, 'rejected');
    assert.equal(await client.get(`${prefix}alice`), '2');
  });

  test('does not wait for an unconnected Redis: the fallback answers at once, or the call rejects', async () => {
    const offline = defineFixedWindow(new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false }));
    try {
      const insured = new RedisRateLimiter('mfa', 10, 60, offline, 'x:', new MemoryRateLimiter('mfa', 10, 60));
      assert.equal((await insured.consume('alice')).remaining, 9);
      await assert.rejects(new RedisRateLimiter('mfa', 10, 60, offline, 'x:', undefined).consume('alice'), /not ready/);
    } finally {
      offline.disconnect();
    }
  });
});
