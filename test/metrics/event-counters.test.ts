// The counters of /metrics follow the domain events, with the labels dashboards have always used.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvents } from '../../src/events/events.js';
import { createMetrics } from '../../src/metrics/metrics.js';

async function value(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === `principal_mfa_${name}`);
  const sample = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return Number(sample?.value ?? 0);
}

describe('metrics from domain events', () => {
  it('count grants by name and outcome; an error that is no ApiError is labelled 500', async () => {
    const events = createEvents();
    const metrics = createMetrics(events);
    events.emit('grant.succeeded', { grant: 'refresh_token' });
    events.emit('grant.failed', { grant: 'client_credentials', errorCode: 'invalid_client' });
    events.emit('grant.failed', { grant: 'api_token', errorCode: undefined });
    assert.equal(await value(metrics, 'token_exchanges_total', { grant: 'refresh_token', outcome: 'success' }), 1);
    assert.equal(await value(metrics, 'token_exchanges_total', { grant: 'client_credentials', outcome: 'invalid_client' }), 1);
    assert.equal(await value(metrics, 'token_exchanges_total', { grant: 'api_token', outcome: '500' }), 1);
  });

  it('count refusals by policy, passcode attempts under "requests" (both per principal)', async () => {
    const events = createEvents();
    const metrics = createMetrics(events);
    for (const limit of ['requests', 'passcodes', 'failed_auth', 'api_token_exchanges'] as const) events.emit('rate_limited', { limit });
    assert.equal(await value(metrics, 'rate_limit_rejections_total', { policy: 'requests' }), 2);
    assert.equal(await value(metrics, 'rate_limit_rejections_total', { policy: 'failed_auth' }), 1);
    assert.equal(await value(metrics, 'rate_limit_rejections_total', { policy: 'api_token_exchanges' }), 1);
  });

  it('count activations, refused passcodes, replays and lockouts, and only the events of their own bus', async () => {
    const events = createEvents();
    const metrics = createMetrics(events);
    const other = createMetrics(createEvents());
    for (const name of ['mfa.activated', 'passcode.refused', 'webauthn.refused', 'passcode.replayed', 'mfa.locked_out'] as const)
      events.emit(name, { userId: 'u1' });
    for (const name of [
      'mfa_activations_total',
      'passcode_failures_total',
      'webauthn_failures_total',
      'passcode_replays_refused_total',
      'mfa_lockouts_total',
    ]) {
      assert.equal(await value(metrics, name), 1, name);
      assert.equal(await value(other, name), 0, name);
    }
  });
});
