// Redis-backed limits through an outage of a real redis-server: status reads go on, passcode checks
// fail closed, and everything returns to shared counting when Redis comes back, without a restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiError } from '../../src/errors.js';
import { createEvents } from '../../src/events/events.js';
import { createRedisLimits } from '../../src/limits/redis.js';
import { MFA_BASE } from '../../src/paths.js';
import { eventually, privateRedis, type ServerControl } from '../support/infra.js';
import { codeFor, enrol, exchangeRaw, stepAlignedMs } from '../mfa/support.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';

describe('Redis limits through a Redis outage', () => {
  let redis: ServerControl;
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    redis = await privateRedis();
    server = await startTestServer({ clock, config: { redisUrl: redis.url, rateLimitPerMinute: 1000 } });
    await eventually(async () => (await server.services.limits.ready?.()) === true, 10_000, 'redis connection');
  });
  after(async () => {
    await server.close();
    await redis.dispose();
  });

  test('counts MFA requests in Redis while it is up', async () => {
    const { accessToken } = await server.accessTokenFor();
    const res = await server.call(`${MFA_BASE}/status`, { token: accessToken });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('ratelimit') ?? '', /"mfa";r=999;/);
  });

  test('keeps answering status reads on the local fallback limiter while Redis is down', async () => {
    const { accessToken } = await server.accessTokenFor();
    await redis.stop();
    try {
      await eventually(async () => (await server.services.limits.ready?.()) === false, 10_000, 'outage noticed');
      for (let i = 0; i < 3; i++) {
        const res = await server.call(`${MFA_BASE}/status`, { token: accessToken });
        assert.equal(res.status, 200);
        assert.equal((await res.json()).activated, false);
      }
    } finally {
      await redis.start();
    }
  });

  test('refuses passcode checks with 503 while Redis is down, never letting them through', async () => {
    await redis.stop();
    try {
      await eventually(async () => (await server.services.limits.ready?.()) === false, 10_000, 'outage noticed');
      await assert.rejects(server.services.limits.passcodeGuard('principal-1'), (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.equal(error.code, 'service_unavailable');
        assert.equal(error.status, 503);
        assert.ok((error.retryAfterSeconds ?? 0) >= 1);
        return true;
      });
    } finally {
      await redis.start();
    }
  });

  test('answers a correct passcode at the token exchange with 503 while Redis is down, and 200 once it is back', async () => {
    const enrolled = await enrol(server, clock);
    clock.advance(30_000); // the activation used the current step
    await redis.stop();
    try {
      await eventually(async () => (await server.services.limits.ready?.()) === false, 10_000, 'outage noticed');
      const refused = await exchangeRaw(server, enrolled.apiToken, codeFor(enrolled.secret, clock));
      assert.equal(refused.status, 503);
      assert.equal(expectCspError(refused.body, 503, refused.headers.get('x-request-id')).errorCode, 'service_unavailable');
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    } finally {
      await redis.start();
    }
    await eventually(async () => (await server.services.limits.ready?.()) === true, 15_000, 'reconnection');
    const accepted = await exchangeRaw(server, enrolled.apiToken, codeFor(enrolled.secret, clock));
    assert.equal(accepted.status, 200);
  });

  test('recovers by itself when Redis returns: passcode checks and readiness work again', async () => {
    await redis.stop();
    await redis.start();
    await eventually(async () => (await server.services.limits.ready?.()) === true, 15_000, 'reconnection');
    await server.services.limits.passcodeGuard('principal-2');
    const res = await fetch(`${server.baseUrl}/readyz`);
    if (res.status !== 404) assert.equal(res.status, 200); // /readyz arrives with the ops routes
  });

  test('a passcode limit reached on one copy is reached on every copy sharing the Redis', async () => {
    const config = { redisUrl: redis.url, rateLimitPerMinute: 3, failedAuthPerMinute: 60, apiTokenExchangesPerMinute: 60 };
    const a = createRedisLimits(config, createEvents(), { keyPrefix: 'shared-passcodes' });
    const b = createRedisLimits(config, createEvents(), { keyPrefix: 'shared-passcodes' });
    try {
      await eventually(async () => (await a.ready!()) && (await b.ready!()), 10_000, 'both connected');
      await a.passcodeGuard('p');
      await b.passcodeGuard('p');
      await a.passcodeGuard('p');
      await assert.rejects(b.passcodeGuard('p'), (error: unknown) => error instanceof ApiError && error.code === 'rate_limited');
    } finally {
      await a.close!();
      await b.close!();
    }
  });

  test('a status read refused by the shared limit is a complete CspErrorResponse', async () => {
    const config = { redisUrl: redis.url, rateLimitPerMinute: 2 };
    const limited = await startTestServer({ config });
    try {
      const { accessToken } = await limited.accessTokenFor();
      await eventually(async () => (await limited.services.limits.ready?.()) === true, 10_000, 'redis connection');
      for (let i = 0; i < 2; i++) assert.equal((await limited.call(`${MFA_BASE}/status`, { token: accessToken })).status, 200);
      const res = await limited.call(`${MFA_BASE}/status`, { token: accessToken });
      assert.equal(res.status, 429);
      expectCspError(await res.json(), 429, res.headers.get('x-request-id'));
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
    } finally {
      await limited.close();
    }
  });
});
