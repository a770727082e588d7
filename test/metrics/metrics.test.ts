// GET /metrics: Prometheus text with request counts and latency by route and status, and the MFA and
// token events operators alert on. Each app has its own registry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base32Decode, timeStep, totpAt } from '../../src/mfa/totp.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';

const MFA = '/csp/gateway/iam/vmwid/api/principal/mfa';

async function scrape(server: TestServer): Promise<string> {
  const res = await fetch(`${server.baseUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample, matched by name and (a subset of) its labels; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}

describe('metrics', () => {
  let server: TestServer;
  const clock = new TestClock();

  before(async () => {
    server = await startTestServer({ clock, config: { lockoutThreshold: 2 } });
  });
  after(() => server.close());

  it('counts requests and their latency by route template and status', async () => {
    const { accessToken } = await server.accessTokenFor();
    await server.call(`${MFA}/status`, { token: accessToken });
    await server.call(`${MFA}/status`, { token: accessToken });
    await server.call(`${MFA}/status`);
    await server.call('/no/such/path/12345');
    const text = await scrape(server);
    const route = `${MFA}/status`;
    assert.equal(sample(text, 'principal_mfa_http_requests_total', { method: 'GET', route, status: '200' }), 2);
    assert.equal(sample(text, 'principal_mfa_http_requests_total', { method: 'GET', route, status: '401' }), 1);
    assert.equal(sample(text, 'principal_mfa_http_request_duration_seconds_count', { method: 'GET', route, status: '200' }), 2);
    assert.equal(sample(text, 'principal_mfa_http_requests_total', { route: 'unmatched', status: '404' }), 1);
    assert.doesNotMatch(text, /no\/such\/path/, 'raw paths never become labels');
    assert.match(text, /^principal_mfa_process_cpu_seconds_total/m, 'process metrics are included');
  });

  it('counts token exchanges by outcome', async () => {
    const before = await scrape(server);
    const { apiToken } = await server.createUser();
    await server.exchange(apiToken);
    await server.exchange('not-a-token');
    const text = await scrape(server);
    const delta = (outcome: string) =>
      sample(text, 'principal_mfa_token_exchanges_total', { grant: 'api_token', outcome }) -
      sample(before, 'principal_mfa_token_exchanges_total', { grant: 'api_token', outcome });
    assert.equal(delta('success'), 1);
    assert.equal(delta('invalid_grant'), 1);
  });

  it('counts activations, refused passcodes, replays and lockouts', async () => {
    const { apiToken } = await server.createUser();
    const { status, body } = await server.exchange(apiToken);
    assert.equal(status, 200);
    const token = body.access_token as string;
    const device = await (await server.call(`${MFA}/device`, { method: 'POST', token, body: { deviceName: 'phone' } })).json();
    const secret = base32Decode(device.secret);
    const code = totpAt(secret, timeStep(clock.now(), 30));
    const wrong = code === '000000' ? '111111' : '000000';

    assert.equal((await server.call(`${MFA}/device/activate`, { method: 'POST', token, body: { passcode: wrong } })).status, 403);
    assert.equal((await server.call(`${MFA}/device/activate`, { method: 'POST', token, body: { passcode: code } })).status, 200);
    // The activating code again, at the exchange: refused as a replay.
    assert.equal((await server.exchange(apiToken, code)).status, 401);
    // With a threshold of 2 the replay and this wrong code lock verification; the next try is refused with 429.
    assert.equal((await server.exchange(apiToken, wrong)).status, 401);
    assert.equal((await server.exchange(apiToken, wrong)).status, 429);

    const text = await scrape(server);
    assert.equal(sample(text, 'principal_mfa_mfa_activations_total'), 1);
    assert.equal(sample(text, 'principal_mfa_passcode_failures_total'), 3);
    assert.equal(sample(text, 'principal_mfa_passcode_replays_refused_total'), 1);
    assert.equal(sample(text, 'principal_mfa_mfa_lockouts_total'), 1);
  });

  it('counts rate-limit rejections by policy', async () => {
    const limited = await startTestServer({ config: { rateLimitPerMinute: 1 } });
    try {
      const { accessToken } = await limited.accessTokenFor();
      await limited.call(`${MFA}/status`, { token: accessToken });
      assert.equal((await limited.call(`${MFA}/status`, { token: accessToken })).status, 429);
      const text = await scrape(limited);
      assert.equal(sample(text, 'principal_mfa_rate_limit_rejections_total', { policy: 'requests' }), 1);
      assert.equal(sample(text, 'principal_mfa_rate_limit_rejections_total', { policy: 'failed_auth' }), 0);
    } finally {
      await limited.close();
    }
  });

  it('keeps one registry per app, so two apps in one process do not add up', async () => {
    const other = await startTestServer();
    try {
      const text = await scrape(other);
      assert.equal(sample(text, 'principal_mfa_mfa_activations_total'), 0);
      assert.equal(sample(text, 'principal_mfa_http_requests_total', { route: `${MFA}/status` }), 0);
    } finally {
      await other.close();
    }
  });
});
