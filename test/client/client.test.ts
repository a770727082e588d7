// The typed client (principal-mfa/client) against a real server: token exchange and renewal, typed
// CspError with Retry-After, and every MFA operation of the lifecycle.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, CspError, TOKEN_PATH } from '../../src/client/index.js';
import { base32Decode, timeStep, totpAt } from '../../src/mfa/totp.js';
import { checkFetchResponse } from '../support/openapi-check.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';

/** fetch() that also checks every answer against the server's OpenAPI document. */
const checkedFetch =
  (server: TestServer): typeof fetch =>
  async (input, init) => {
    const res = await fetch(input, init);
    await checkFetchResponse(server.app, init?.method ?? 'GET', String(input), res);
    return res;
  };

/** A checked fetch that also counts API-token exchanges. */
function countingFetch(server: TestServer): { fetch: typeof fetch; exchanges: () => number } {
  let exchanges = 0;
  const inner = checkedFetch(server);
  return {
    fetch: (input, init) => {
      if (String(input).endsWith(TOKEN_PATH)) exchanges++;
      return inner(input, init);
    },
    exchanges: () => exchanges,
  };
}

const codeAt = (secret: string, nowMs: number): string => totpAt(base32Decode(secret), timeStep(nowMs, 30));

describe('typed client', () => {
  let server: TestServer;
  const clock = new TestClock();

  before(async () => {
    server = await startTestServer({ clock, config: { rateLimitPerMinute: 50 } });
  });
  after(() => server.close());

  it('exchanges the API token once and reuses the access token for later calls', async () => {
    const { user, apiToken } = await server.createUser();
    const counter = countingFetch(server);
    const client = createClient({ baseUrl: `${server.baseUrl}/`, apiToken, fetch: counter.fetch });
    const status = await client.getStatus();
    assert.deepEqual(status, { activated: false, turnedOn: false, username: user.username });
    await client.getStatus();
    assert.equal(counter.exchanges(), 1);
  });

  it('renews the access token before it expires', async () => {
    const { apiToken } = await server.createUser();
    const counter = countingFetch(server);
    let now = Date.now();
    const client = createClient({ baseUrl: server.baseUrl, apiToken, fetch: counter.fetch, now: () => now, renewBeforeSeconds: 120 });
    const first = await client.accessToken();
    now += (1800 - 130) * 1000; // still valid, not yet in the renewal window
    assert.equal(await client.accessToken(), first);
    now += 20 * 1000; // inside the window: renewed although the old token has not expired
    await client.getStatus();
    assert.equal(counter.exchanges(), 2);
  });

  it('shares one exchange between concurrent calls', async () => {
    const { apiToken } = await server.createUser();
    const counter = countingFetch(server);
    const client = createClient({ baseUrl: server.baseUrl, apiToken, fetch: counter.fetch });
    await Promise.all([client.getStatus(), client.getStatus(), client.getStatus()]);
    assert.equal(counter.exchanges(), 1);
  });

  it('throws a CspError with the six fields for a refused API token', async () => {
    const client = createClient({ baseUrl: server.baseUrl, apiToken: 'not-a-real-token', fetch: checkedFetch(server) });
    const error = await client.getStatus().then(
      () => assert.fail('expected a CspError'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CspError);
    assert.equal(error.statusCode, 400);
    assert.equal(error.errorCode, 'invalid_grant');
    assert.match(error.cspErrorCode, /^\d+\.400-\d+$/);
    assert.equal(typeof error.moduleCode, 'number');
    assert.match(error.requestId, /\S/);
    assert.ok(error.message.length > 0);
    assert.equal(error.retryAfterSeconds, undefined);
  });

  it('carries Retry-After as retryAfterSeconds when the server refuses with 429', async () => {
    const limited = await startTestServer({ config: { rateLimitPerMinute: 2 } });
    try {
      const { apiToken } = await limited.createUser();
      const client = createClient({ baseUrl: limited.baseUrl, apiToken, fetch: checkedFetch(limited) });
      await client.getStatus();
      await client.getStatus();
      const error = await client.getStatus().catch((e: unknown) => e);
      assert.ok(error instanceof CspError);
      assert.equal(error.statusCode, 429);
      assert.ok(error.retryAfterSeconds !== undefined && error.retryAfterSeconds >= 1);
    } finally {
      await limited.close();
    }
  });

  it('turns a response that is not a CspErrorResponse into a CspError too', async () => {
    const client = createClient({
      baseUrl: server.baseUrl,
      apiToken: 'x',
      fetch: async () =>
        new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'x-request-id': 'abc', 'retry-after': '7' } }),
    });
    const error = await client.getStatus().catch((e: unknown) => e);
    assert.ok(error instanceof CspError);
    assert.deepEqual(
      { ...error.toJSON(), retryAfterSeconds: error.retryAfterSeconds },
      {
        statusCode: 502,
        errorCode: 'unexpected_response',
        cspErrorCode: '',
        message: 'HTTP 502 Bad Gateway',
        moduleCode: 0,
        requestId: 'abc',
        retryAfterSeconds: 7,
      },
    );
  });

  it('drives the whole MFA lifecycle with typed calls', async () => {
    const { user, apiToken, password } = await server.createUser();
    const client = createClient({ baseUrl: server.baseUrl, apiToken, fetch: checkedFetch(server) });
    const startedAt = clock.now();

    const device = await client.registerDevice('  Work phone ');
    assert.equal(device.deviceName, 'Work phone');
    assert.match(device.secret, /^[A-Z2-7]+=*$/);
    assert.match(device.qrCode, /^data:image\//);
    assert.deepEqual([device.algorithm, device.digits, device.period], ['SHA1', 6, 30]);

    const activated = await client.activateDevice(codeAt(device.secret, clock.now()));
    assert.deepEqual([activated.activated, activated.turnedOn, activated.recoveryCodes.length], [true, true, 10]);
    assert.deepEqual(await client.getStatus(), { activated: true, turnedOn: true, deviceName: 'Work phone', username: user.username });

    // MFA is on now: a new client must bring a passcode, fresh for every exchange.
    const bare = createClient({ baseUrl: server.baseUrl, apiToken, fetch: checkedFetch(server) });
    const refused = await bare.getStatus().catch((e: unknown) => e);
    assert.ok(refused instanceof CspError);
    assert.equal(refused.errorCode, 'mfa_required');

    clock.advance(30_000);
    const withMfa = createClient({ baseUrl: server.baseUrl, apiToken, fetch: checkedFetch(server), passcode: () => codeAt(device.secret, clock.now()) });
    assert.equal((await withMfa.renameDevice('Old phone')).deviceName, 'Old phone');

    clock.advance(30_000);
    const regenerated = await withMfa.regenerateRecoveryCodes(codeAt(device.secret, clock.now()));
    assert.equal(regenerated.recoveryCodes.length, 10);
    assert.notDeepEqual(regenerated.recoveryCodes, activated.recoveryCodes);

    const wrong = await withMfa.updateMfa({ password: 'wrong password', turnedOn: false }).catch((e: unknown) => e);
    assert.ok(wrong instanceof CspError);
    assert.equal(wrong.statusCode, 403);
    assert.deepEqual(await withMfa.updateMfa({ password, turnedOn: false }), { turnedOn: false });
    assert.deepEqual(await withMfa.updateMfa({ password, turnedOn: true }), { turnedOn: true });

    const log = await withMfa.getAuditLog({ startDate: startedAt - 1000, endDate: clock.now() + 1000, actions: ['MFA_ACTIVATION', 'MFA_DEVICE_NAME_UPDATE'] });
    assert.deepEqual(log.results.map((e) => e.action).sort(), ['MFA_ACTIVATION', 'MFA_DEVICE_NAME_UPDATE']);
    assert.equal(log.startIndex, 1);
    assert.ok(log.results.every((e) => e.username === user.username));

    assert.equal(await withMfa.removeDevice({ password }), undefined);
    assert.deepEqual(await withMfa.getStatus(), { activated: false, turnedOn: false, username: user.username });
  });
});
