// TOTP replay guard: a time step succeeds at most once per device, never one older than the last accepted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { codeFor, enrol, exchangeRaw, MFA, PERIOD_MS, postJson, stepAlignedMs } from './support.js';

describe('TOTP replay guard', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  it('refuses the same code twice in one time step', async () => {
    const e = await enrol(server, clock);
    const code = codeFor(e.secret, clock);
    assert.equal((await server.exchange(e.apiToken, code)).status, 200);
    const again = await server.exchange(e.apiToken, code);
    assert.equal(again.status, 401);
    assert.equal(again.body.errorCode, 'invalid_passcode');
  });

  it('refuses a code that is still inside the ±1 window once it has been used, after the clock moves on', async () => {
    const e = await enrol(server, clock);
    const code = codeFor(e.secret, clock);
    assert.equal((await server.exchange(e.apiToken, code)).status, 200);
    clock.advance(PERIOD_MS); // the used step is now "previous", still inside the window
    assert.equal((await server.exchange(e.apiToken, code)).status, 401);
  });

  it('refuses an older step once a newer one was accepted', async () => {
    const e = await enrol(server, clock);
    const previous = codeFor(e.secret, clock, -1);
    const current = codeFor(e.secret, clock);
    assert.notEqual(previous, current);
    assert.equal((await server.exchange(e.apiToken, current)).status, 200);
    assert.equal((await server.exchange(e.apiToken, previous)).status, 401);
  });

  it('refuses the code that activated the device, at the exchange and on the MFA endpoints', async () => {
    const { accessToken, apiToken } = await server.accessTokenFor();
    const { body } = await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'p' });
    const first = codeFor(body.secret, clock);
    assert.equal((await postJson(server, `${MFA}/device/activate`, accessToken, { passcode: first })).status, 200);
    assert.equal((await server.exchange(apiToken, first)).status, 401);
    assert.equal((await postJson(server, `${MFA}/recovery-codes`, accessToken, { passcode: first })).status, 403);
    clock.advance(PERIOD_MS);
  });

  it('lets exactly one of many concurrent exchanges with the same code win', async () => {
    const e = await enrol(server, clock);
    const code = codeFor(e.secret, clock);
    const results = await Promise.all(Array.from({ length: 4 }, () => exchangeRaw(server, e.apiToken, code)));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401, 401]);
  });

  it('lets exactly one of two concurrent activations with the first code win', async () => {
    const { accessToken } = await server.accessTokenFor();
    const { body } = await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'p' });
    const code = codeFor(body.secret, clock);
    const results = await Promise.all([0, 1].map(() => postJson(server, `${MFA}/device/activate`, accessToken, { passcode: code })));
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses[0], 200);
    assert.ok(statuses[1] === 403 || statuses[1] === 404, `loser got ${statuses[1]}`);
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    clock.advance(PERIOD_MS);
  });

  it('lets exactly one of two concurrent uses of one recovery code win', async () => {
    const e = await enrol(server, clock);
    const code = e.recoveryCodes[0]!;
    const results = await Promise.all([0, 1, 2].map(() => exchangeRaw(server, e.apiToken, code)));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401]);
  });
});
