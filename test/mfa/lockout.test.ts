// Durable lockout: consecutive failed passcodes or recovery codes, on any endpoint, lock MFA verification.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp } from '../../src/app.js';
import { createServices } from '../../src/services.js';
import { openStore } from '../../src/storage/database.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { codeFor, enrol, exchangeRaw, MFA, PERIOD_MS, postJson, stepAlignedMs, wrongCodeFor } from './support.js';

const LOCK_MS = 15 * 60_000;

describe('MFA lockout', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  /** Five failures spread over the exchange and the MFA endpoints, passcodes and recovery codes. */
  async function failFiveTimes(e: Awaited<ReturnType<typeof enrol>>): Promise<void> {
    const wrong = wrongCodeFor(e.secret, clock);
    assert.equal((await exchangeRaw(server, e.apiToken, wrong)).status, 401);
    assert.equal((await exchangeRaw(server, e.apiToken, 'zzzz-zzzz-zzzz-zzzz')).status, 401);
    assert.equal((await postJson(server, `${MFA}/recovery-codes`, e.accessToken, { passcode: wrong })).status, 403);
    assert.equal((await postJson(server, `${MFA}/device`, e.accessToken, { passcode: wrong }, 'DELETE')).status, 403);
    assert.equal((await exchangeRaw(server, e.apiToken, 'abc')).status, 401);
  }

  it('locks after five failures across endpoints: 429 with Retry-After, even for a correct code or recovery code', async () => {
    const e = await enrol(server, clock);
    await failFiveTimes(e);
    const correct = await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock));
    assert.equal(correct.status, 429);
    assert.equal(expectCspError(correct.body, 429).errorCode, 'mfa_locked');
    assert.equal(correct.headers.get('retry-after'), String(LOCK_MS / 1000));
    assert.equal((await exchangeRaw(server, e.apiToken, e.recoveryCodes[0])).status, 429);
    const api = await postJson(server, `${MFA}/recovery-codes`, e.accessToken, { passcode: codeFor(e.secret, clock) });
    assert.equal(api.status, 429);
    assert.equal(api.headers.get('retry-after'), String(LOCK_MS / 1000));
    // The refused attempts while locked spent nothing: the recovery code still works afterwards.
    clock.advance(LOCK_MS);
    assert.equal((await exchangeRaw(server, e.apiToken, e.recoveryCodes[0])).status, 200);
  });

  it('counts Retry-After down with the clock and unlocks when the lock runs out', async () => {
    const e = await enrol(server, clock);
    await failFiveTimes(e);
    clock.advance(LOCK_MS - 60_000);
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).headers.get('retry-after'), '60');
    clock.advance(60_000);
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 200);
  });

  it('does not count a missing passcode as a failure', async () => {
    const e = await enrol(server, clock);
    for (let i = 0; i < 10; i++) assert.equal((await exchangeRaw(server, e.apiToken)).body.errorCode, 'mfa_required');
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 200);
  });

  it('answers a missing passcode with 401 mfa_required even while locked, and a present one with 429', async () => {
    const e = await enrol(server, clock);
    await failFiveTimes(e);
    assert.equal((await exchangeRaw(server, e.apiToken)).status, 401);
    assert.equal((await exchangeRaw(server, e.apiToken, '000000')).status, 429);
    clock.advance(LOCK_MS);
  });

  it('resets the count on a success: four failures, a success, four more failures do not lock', async () => {
    const e = await enrol(server, clock);
    const wrong = () => exchangeRaw(server, e.apiToken, wrongCodeFor(e.secret, clock));
    for (let i = 0; i < 4; i++) assert.equal((await wrong()).status, 401);
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 200);
    clock.advance(PERIOD_MS);
    for (let i = 0; i < 4; i++) assert.equal((await wrong()).status, 401);
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 200);
    clock.advance(PERIOD_MS);
  });

  it('counts failures during activation too', async () => {
    const { accessToken } = await server.accessTokenFor();
    const { body } = await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'p' });
    const wrong = wrongCodeFor(body.secret, clock);
    for (let i = 0; i < 5; i++) assert.equal((await postJson(server, `${MFA}/device/activate`, accessToken, { passcode: wrong })).status, 403);
    const locked = await postJson(server, `${MFA}/device/activate`, accessToken, { passcode: codeFor(body.secret, clock) });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    clock.advance(LOCK_MS);
  });

  it('keeps at most five guesses when many wrong codes arrive at once', async () => {
    const e = await enrol(server, clock);
    const wrong = wrongCodeFor(e.secret, clock);
    const results = await Promise.all(Array.from({ length: 12 }, () => exchangeRaw(server, e.apiToken, wrong)));
    assert.equal(results.filter((r) => r.status === 401).length, 5);
    assert.equal(results.filter((r) => r.status === 429).length, 7);
    clock.advance(LOCK_MS);
  });

  it('survives a restart: new services over the same store still refuse a correct code', async () => {
    const e = await enrol(server, clock);
    await failFiveTimes(e);
    const store = await openStore(server.testStore.url);
    const services = await createServices(server.services.config, { store, clock, masterKey: server.services.masterKey });
    const app = await buildApp(services);
    try {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${address.replace('localhost', '127.0.0.1')}/csp/gateway/am/api/auth/api-tokens/authorize`, {
        method: 'POST',
        body: new URLSearchParams({ api_token: e.apiToken, passcode: codeFor(e.secret, clock) }),
      });
      assert.equal(res.status, 429);
      assert.ok(res.headers.get('retry-after'));
    } finally {
      await app.close();
      await services.close();
    }
    clock.advance(LOCK_MS);
  });
});

describe('MFA lockout, configured', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock, config: { lockoutThreshold: 2, lockoutSeconds: 60 } });
  });
  after(() => server.close());

  it('follows lockoutThreshold and lockoutSeconds from the config', async () => {
    const e = await enrol(server, clock);
    const wrong = wrongCodeFor(e.secret, clock);
    assert.equal((await exchangeRaw(server, e.apiToken, wrong)).status, 401);
    assert.equal((await exchangeRaw(server, e.apiToken, wrong)).status, 401);
    const locked = await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock));
    assert.equal(locked.status, 429);
    assert.equal(locked.headers.get('retry-after'), '60');
    clock.advance(60_000);
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 200);
  });
});
