// Wrong passwords on the MFA API: counted into the per-principal lockout, audited, and counted per address.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { codeFor, enrol, exchangeRaw, MFA, postJson, stepAlignedMs, wrongCodeFor } from './support.js';

const LOCK_MS = 15 * 60_000;

describe('wrong passwords', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  /** PATCH …/mfa turnedOn true: CSP's password-confirmed operation, reachable with any access token. */
  const turnOn = (token: string, password: string) => postJson(server, MFA, token, { password, turnedOn: true }, 'PATCH');

  it('finding 8.6: locks the principal after five wrong passwords, so the sixth guess (the right one) gets 429', async () => {
    const e = await enrol(server, clock);
    for (let i = 0; i < 5; i++) {
      const wrong = await turnOn(e.accessToken, `guess-${i}`);
      assert.equal(expectCspError(wrong.body, 403).errorCode, 'wrong_password');
    }
    const right = await turnOn(e.accessToken, e.password);
    assert.equal(right.status, 429, JSON.stringify(right.body));
    assert.equal(expectCspError(right.body, 429).errorCode, 'mfa_locked');
    assert.equal(right.headers.get('retry-after'), String(LOCK_MS / 1000));
    // The same lock as passcodes: a correct passcode is refused too, until the lock runs out.
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 429);
    clock.advance(LOCK_MS);
    assert.equal((await turnOn(e.accessToken, e.password)).status, 200);
  });

  it('finding 8.6: shares one count with passcodes: three wrong passcodes and two wrong passwords lock', async () => {
    const e = await enrol(server, clock);
    for (let i = 0; i < 3; i++) assert.equal((await exchangeRaw(server, e.apiToken, wrongCodeFor(e.secret, clock))).status, 401);
    for (let i = 0; i < 2; i++) assert.equal((await turnOn(e.accessToken, 'wrong')).status, 403);
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 429);
    clock.advance(LOCK_MS);
  });

  it('does not reset the count with a correct password, nor count the correct password itself', async () => {
    const e = await enrol(server, clock);
    for (let i = 0; i < 4; i++) assert.equal((await turnOn(e.accessToken, 'wrong')).status, 403);
    for (let i = 0; i < 3; i++) assert.equal((await turnOn(e.accessToken, e.password)).status, 200, 'a right password is not a failure');
    assert.equal((await exchangeRaw(server, e.apiToken, wrongCodeFor(e.secret, clock))).status, 401, 'the fifth failure');
    assert.equal((await turnOn(e.accessToken, e.password)).status, 429, 'locked: the right password did not reset the count');
    clock.advance(LOCK_MS);
  });

  it('keeps at most five guesses when many wrong passwords arrive at once', async () => {
    const e = await enrol(server, clock);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => turnOn(e.accessToken, `parallel-${i}`)));
    assert.equal(results.filter((r) => r.status === 403).length, 5);
    assert.equal(results.filter((r) => r.status === 429).length, 7);
    clock.advance(LOCK_MS);
  });

  it('finding 8.6: records PASSWORD_VERIFICATION_FAILURE audit events, and the audit query filters on it', async () => {
    const e = await enrol(server, clock, 'audited phone');
    const since = clock.now();
    assert.equal((await turnOn(e.accessToken, 'wrong-1')).status, 403);
    clock.advance(1_000);
    assert.equal((await turnOn(e.accessToken, e.password)).status, 200);
    const audit = await postJson(server, `${MFA}/audit`, e.accessToken, {
      startDate: since,
      endDate: clock.now() + 1,
      actions: ['PASSWORD_VERIFICATION_FAILURE'],
    });
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    assert.deepEqual(
      audit.body.results.map((r: any) => [r.action, r.details.deviceName, r.modifiedBy, r.username, r.eventDate]),
      [['PASSWORD_VERIFICATION_FAILURE', 'audited phone', e.username, e.username, since]],
    );
  });
});

describe('wrong passwords per address', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock, config: { failedAuthPerMinute: 3 } });
  });
  after(() => server.close());

  it('finding 8.6: counts wrong passwords against the per-address failed-authentication limit', async () => {
    // Two principals, so that the per-principal lockout (five) is not what refuses.
    const a = await enrol(server, clock);
    const b = await enrol(server, clock);
    assert.equal((await postJson(server, MFA, a.accessToken, { password: 'wrong', turnedOn: true }, 'PATCH')).status, 403);
    assert.equal((await postJson(server, MFA, b.accessToken, { password: 'wrong', turnedOn: true }, 'PATCH')).status, 403);
    assert.equal((await postJson(server, MFA, b.accessToken, { password: 'wrong', turnedOn: true }, 'PATCH')).status, 403);
    // The three wrong passwords filled the limit of three: the next failure from 127.0.0.1 is refused.
    const next = await exchangeRaw(server, 'pmfa_at_not-a-real-token');
    assert.equal(next.status, 429, JSON.stringify(next.body));
    assert.equal(next.body.errorCode, 'auth_rate_limited');
  });
});
