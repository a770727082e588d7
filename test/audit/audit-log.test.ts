// POST …/principal/mfa/audit: every CSP action recorded, filters, paging, and every 400 rule.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { codeFor, enrol, exchangeRaw, MFA, PERIOD_MS, postJson, stepAlignedMs, wrongCodeFor } from '../mfa/support.js';

const AUDIT = `${MFA}/audit`;

describe('principal MFA audit log', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  let e: Awaited<ReturnType<typeof enrol>>;
  let since: number;
  before(async () => {
    server = await startTestServer({ clock });
    since = clock.now();
    // One of every action, in a known order, one second apart.
    e = await enrol(server, clock, 'phone'); // MFA_AUTHENTICATION_SUCCESS, MFA_ACTIVATION, MFA_RECOVERY_CODES_GENERATION
    const tick = () => clock.advance(1_000);
    tick();
    await exchangeRaw(server, e.apiToken, wrongCodeFor(e.secret, clock)); // MFA_AUTHENTICATION_FAILURE
    tick();
    await exchangeRaw(server, e.apiToken, 'zzzz-zzzz-zzzz-zzzz'); // MFA_RECOVERY_CODE_AUTHENTICATION_FAILURE
    tick();
    // MFA_RECOVERY_CODE_AUTHENTICATION_SUCCESS; its token carries the recent second factor (step-up) that
    // turning MFA off and removing the device need below.
    const stepUp = (await exchangeRaw(server, e.apiToken, e.recoveryCodes[0])).body.access_token as string;
    tick();
    await postJson(server, `${MFA}/device`, e.accessToken, { deviceName: 'tablet' }, 'PATCH'); // MFA_DEVICE_NAME_UPDATE
    tick();
    await postJson(server, MFA, stepUp, { password: e.password, turnedOn: false }, 'PATCH'); // MFA_DISABLE
    tick();
    await exchangeRaw(server, e.apiToken); // AUTHENTICATION_WITHOUT_MFA
    tick();
    await postJson(server, MFA, e.accessToken, { password: e.password, turnedOn: true }, 'PATCH'); // MFA_ENABLE
    clock.advance(PERIOD_MS);
    await postJson(server, `${MFA}/recovery-codes`, e.accessToken, { passcode: codeFor(e.secret, clock) }); // SUCCESS + GENERATION
    tick();
    await postJson(server, `${MFA}/device`, stepUp, { password: e.password }, 'DELETE'); // MFA_DEACTIVATION
    tick();
  });
  after(() => server.close());

  const query = (body: unknown, token = e.accessToken) => postJson(server, AUDIT, token, body);

  it('records every CSP action, newest first, with event id, principal, device name, modifiedBy and date', async () => {
    const res = await query({ startDate: since, endDate: clock.now() });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const actions = res.body.results.map((r: any) => r.action);
    assert.deepEqual(actions.reverse(), [
      'AUTHENTICATION_WITHOUT_MFA', // the exchange that made the access token
      'MFA_AUTHENTICATION_SUCCESS',
      'MFA_ACTIVATION',
      'MFA_RECOVERY_CODES_GENERATION',
      'MFA_AUTHENTICATION_FAILURE',
      'MFA_RECOVERY_CODE_AUTHENTICATION_FAILURE',
      'MFA_RECOVERY_CODE_AUTHENTICATION_SUCCESS',
      'MFA_DEVICE_NAME_UPDATE',
      'MFA_DISABLE',
      'AUTHENTICATION_WITHOUT_MFA',
      'MFA_ENABLE',
      'MFA_AUTHENTICATION_SUCCESS',
      'MFA_RECOVERY_CODES_GENERATION',
      'MFA_DEACTIVATION',
    ]);
    const newest = res.body.results[0];
    assert.deepEqual(Object.keys(newest).sort(), ['action', 'details', 'eventDate', 'eventId', 'modifiedBy', 'username']);
    assert.equal(newest.action, 'MFA_DEACTIVATION');
    assert.deepEqual(newest.details, { deviceName: 'tablet' });
    assert.equal(newest.modifiedBy, e.username);
    assert.equal(newest.username, e.username);
    assert.match(newest.eventId, /^[0-9a-f-]{36}$/);
    assert.ok(res.body.results.every((r: any, i: number, all: any[]) => i === 0 || all[i - 1].eventDate >= r.eventDate));
    assert.deepEqual(
      { itemsPerPage: res.body.itemsPerPage, startIndex: res.body.startIndex, totalResults: res.body.totalResults },
      { itemsPerPage: 20, startIndex: 1, totalResults: 14 },
    );
  });

  it('filters by actions, device names and event ids', async () => {
    const base = { startDate: since, endDate: clock.now() };
    const byAction = await query({ ...base, actions: ['MFA_ENABLE', 'MFA_DISABLE'] });
    assert.deepEqual(
      byAction.body.results.map((r: any) => r.action),
      ['MFA_ENABLE', 'MFA_DISABLE'],
    );
    const byDevice = await query({ ...base, deviceNames: ['phone'] });
    assert.ok(byDevice.body.totalResults >= 6);
    assert.ok(byDevice.body.results.every((r: any) => r.details.deviceName === 'phone'));
    const target = byAction.body.results[1].eventId;
    const byId = await query({ ...base, eventIds: [target] });
    assert.deepEqual(
      byId.body.results.map((r: any) => r.eventId),
      [target],
    );
  });

  it('pages with a 1-based pageStart echoed as startIndex', async () => {
    const base = { startDate: since, endDate: clock.now() };
    const all = (await query({ ...base, pageLimit: 200 })).body.results.map((r: any) => r.eventId);
    const page = await query({ ...base, pageStart: 3, pageLimit: 4 });
    assert.equal(page.body.startIndex, 3);
    assert.equal(page.body.itemsPerPage, 4);
    assert.equal(page.body.totalResults, 14);
    assert.deepEqual(
      page.body.results.map((r: any) => r.eventId),
      all.slice(2, 6),
    );
    const beyond = await query({ ...base, pageStart: 100 });
    assert.deepEqual(beyond.body.results, []);
    assert.equal(beyond.body.totalResults, 14);
  });

  it('keeps to the date range and to the principal named by the token', async () => {
    const narrow = await query({ startDate: since + 1, endDate: since + 2_500 });
    assert.ok(narrow.body.results.every((r: any) => r.eventDate >= since + 1 && r.eventDate <= since + 2_500));
    const other = await server.accessTokenFor();
    const theirs = await query({ startDate: since, endDate: clock.now() + 1 }, other.accessToken);
    assert.deepEqual(
      theirs.body.results.map((r: any) => r.username),
      [other.user.username],
    );
  });

  const now = () => clock.now();
  for (const [rule, body] of [
    ['end date equal to start date', () => ({ startDate: now() - 10, endDate: now() - 10 })],
    ['end date before start date', () => ({ startDate: now() - 10, endDate: now() - 20 })],
    ['start date in the future', () => ({ startDate: now() + 60_000, endDate: now() + 120_000 })],
    ['a fractional date', () => ({ startDate: 1.5, endDate: now() })],
    ['a negative date', () => ({ startDate: -1, endDate: now() })],
    ['a date beyond any epoch-ms instant', () => ({ startDate: 0, endDate: 9e15 })],
    ['a date as text', () => ({ startDate: '2024-01-01', endDate: now() })],
    ['a missing endDate', () => ({ startDate: 0 })],
    ['an unsupported action', () => ({ startDate: 0, endDate: now(), actions: ['MFA_SOMETHING'] })],
    ['21 event ids', () => ({ startDate: 0, endDate: now(), eventIds: Array.from({ length: 21 }, (_, i) => `id${i}`) })],
    ['21 device names', () => ({ startDate: 0, endDate: now(), deviceNames: Array.from({ length: 21 }, (_, i) => `d${i}`) })],
    ['a negative pageStart', () => ({ startDate: 0, endDate: now(), pageStart: -1 })],
    ['pageStart beyond the 10,000-result window', () => ({ startDate: 0, endDate: now(), pageStart: 10_001 })],
    ['pageLimit 0', () => ({ startDate: 0, endDate: now(), pageLimit: 0 })],
    ['pageLimit 201', () => ({ startDate: 0, endDate: now(), pageLimit: 201 })],
    ['a fractional pageLimit', () => ({ startDate: 0, endDate: now(), pageLimit: 2.5 })],
  ] as const) {
    it(`answers 400 to ${rule}`, async () => {
      const res = await query(body());
      assert.equal(res.status, 400, JSON.stringify(res.body));
      expectCspError(res.body, 400, res.headers.get('x-request-id'));
    });
  }

  it('accepts exactly 20 event ids and 20 device names, and pageLimit 200', async () => {
    const res = await query({
      startDate: 0,
      endDate: now(),
      pageLimit: 200,
      eventIds: Array.from({ length: 20 }, (_, i) => `id${i}`),
      deviceNames: Array.from({ length: 20 }, (_, i) => `d${i}`),
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.totalResults, 0);
  });

  it('answers 401 without a token', async () => {
    const res = await server.call(AUDIT, { method: 'POST', body: { startDate: 0, endDate: 1 } });
    assert.equal(res.status, 401);
  });
});
