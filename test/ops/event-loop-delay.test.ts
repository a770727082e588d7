// The benchmark's event-loop probe: absent unless --event-loop-stats asks for it, and then figures that start over.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EVENT_LOOP_DELAY_PATH } from '../../src/ops/event-loop-delay.js';
import { expectCspError, startTestServer } from '../support/server.js';

describe('POST /debug/event-loop-delay (benchmarks only)', () => {
  test('does not exist by default: a 404 CspErrorResponse', async () => {
    const server = await startTestServer();
    try {
      const res = await fetch(`${server.baseUrl}${EVENT_LOOP_DELAY_PATH}`, { method: 'POST' });
      assert.equal(res.status, 404);
      expectCspError(await res.json(), 404, res.headers.get('x-request-id'));
    } finally {
      await server.close();
    }
  });

  test('with --event-loop-stats, answers the delay in milliseconds, a blocked loop included', async () => {
    const server = await startTestServer({ config: { eventLoopStats: true } });
    try {
      // Block the loop for a known while: the maximum is at least that by construction (a lower bound, not a speed).
      const blockedUntil = Date.now() + 30;
      while (Date.now() < blockedUntil);
      const first = await fetch(`${server.baseUrl}${EVENT_LOOP_DELAY_PATH}`, { method: 'POST' });
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('cache-control'), 'no-store');
      const figures = (await first.json()) as { samples: number; p50Ms: number; p99Ms: number; maxMs: number; meanMs: number };
      assert.deepEqual(Object.keys(figures).sort(), ['maxMs', 'meanMs', 'p50Ms', 'p99Ms', 'samples']);
      assert.ok(figures.samples > 0);
      assert.ok(figures.maxMs >= 20, `max ${figures.maxMs} ms after a 30 ms block`);
    } finally {
      await server.close();
    }
  });
});
