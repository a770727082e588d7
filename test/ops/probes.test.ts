// GET /healthz and GET /readyz, with real dependencies going away and coming back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, privateRedis, type ServerControl } from '../support/infra.js';
import { expectCspError, startTestServer, type TestServer } from '../support/server.js';

describe('health and readiness probes', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('GET /healthz answers 200 while the process is alive, without a token', async () => {
    const res = await fetch(`${server.baseUrl}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('GET /readyz answers 200 when the store (and Redis, if any) answer', async () => {
    const res = await fetch(`${server.baseUrl}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready', store: 'ok', limits: 'ok' });
  });

  test('a POST to a probe is a 405 CspErrorResponse naming GET', async () => {
    const res = await fetch(`${server.baseUrl}/readyz`, { method: 'POST' });
    assert.equal(res.status, 405);
    expectCspError(await res.json(), 405, res.headers.get('x-request-id'));
    assert.match(res.headers.get('allow') ?? '', /GET/);
  });
});

describe('readiness while Redis is down', () => {
  let redis: ServerControl;
  let server: TestServer;
  before(async () => {
    redis = await privateRedis();
    server = await startTestServer({ config: { redisUrl: redis.url } });
    await eventually(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 200, 10_000, 'ready');
  });
  after(async () => {
    await server.close();
    await redis.dispose();
  });

  test('/readyz is 503 CspErrorResponse during the outage and 200 again after it, while /healthz stays 200', async () => {
    await redis.stop();
    try {
      await eventually(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 503, 10_000, 'not ready');
      const res = await fetch(`${server.baseUrl}/readyz`);
      assert.equal(res.status, 503);
      const body = expectCspError(await res.json(), 503, res.headers.get('x-request-id'));
      assert.equal(body.errorCode, 'service_unavailable');
      assert.match(body.message, /redis/);
      assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
    } finally {
      await redis.start();
    }
    await eventually(async () => (await fetch(`${server.baseUrl}/readyz`)).status === 200, 15_000, 'ready again');
  });
});
