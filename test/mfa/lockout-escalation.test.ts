// Repeated lockouts: each lasts twice as long (at most 24 h); 100 failures in a row lock until an admin unlocks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCliInProcess } from '../support/cli.js';
import { decideAttempt, lockDurationSeconds, MAX_CONSECUTIVE_FAILURES } from '../../src/mfa/lockout.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { codeFor, type Enrolled, enrol, exchangeRaw, MFA, PERIOD_MS, postJson, stepAlignedMs, wrongCodeFor } from './support.js';

const DAY_MS = 24 * 3_600_000;

const cli = runCliInProcess;

/** `count` wrong passcodes at the exchange (which needs no access token: the clock jumps past their lifetime here). */
async function fail(server: TestServer, clock: TestClock, e: Enrolled, count: number): Promise<void> {
  const wrong = wrongCodeFor(e.secret, clock);
  for (let i = 0; i < count; i++) {
    const res = await exchangeRaw(server, e.apiToken, wrong);
    assert.equal(res.status, 401, `failure ${i + 1}: ${JSON.stringify(res.body)}`);
  }
}

/** Many failures from one address and one API token: neither the per-address nor the per-token limit may be what refuses here. */
const MANY_FAILURES_PER_MINUTE = 10_000;

/** Retry-After (seconds) of a correct passcode at the exchange, which must be refused as locked. */
async function lockedFor(server: TestServer, clock: TestClock, e: Enrolled): Promise<number> {
  const res = await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock));
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.equal(expectCspError(res.body, 429).errorCode, 'mfa_locked');
  return Number(res.headers.get('retry-after'));
}

describe('lockout escalation', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({
      clock,
      config: {
        lockoutThreshold: 5,
        lockoutSeconds: 30_000,
        failedAuthPerMinute: MANY_FAILURES_PER_MINUTE,
        apiTokenExchangesPerMinute: MANY_FAILURES_PER_MINUTE,
      },
    });
  });
  after(() => server.close());

  it('finding 8.10: doubles the lock time on each repeated lockout, capped at 24 hours', async () => {
    const e = await enrol(server, clock);
    const seen: number[] = [];
    for (let round = 0; round < 3; round++) {
      await fail(server, clock, e, 5);
      seen.push(await lockedFor(server, clock, e));
      clock.advance(seen[round]! * 1000);
    }
    assert.deepEqual(seen, [30_000, 60_000, 86_400]);
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 200, 'the last lock ran out');
    clock.advance(PERIOD_MS);
  });

  it('starts again from the first lock time after a success', async () => {
    const e = await enrol(server, clock);
    await fail(server, clock, e, 5);
    clock.advance((await lockedFor(server, clock, e)) * 1000);
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 200);
    clock.advance(PERIOD_MS);
    await fail(server, clock, e, 5);
    assert.equal(await lockedFor(server, clock, e), 30_000);
    clock.advance(DAY_MS);
  });
});

describe('the cap of 100 consecutive failures and mfa unlock', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({
      clock,
      config: { lockoutThreshold: 50, lockoutSeconds: 60, failedAuthPerMinute: MANY_FAILURES_PER_MINUTE, apiTokenExchangesPerMinute: MANY_FAILURES_PER_MINUTE },
    });
  });
  after(() => server.close());

  it('finding 8.10: after 100 failures in a row refuses even a correct code until `mfa unlock`, which keeps the device and codes', async () => {
    const e = await enrol(server, clock, 'kept phone');
    await fail(server, clock, e, 50);
    clock.advance((await lockedFor(server, clock, e)) * 1000);
    await fail(server, clock, e, 50);
    clock.advance(7 * DAY_MS);
    const still = await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock));
    assert.equal(still.status, 429, 'no lock time runs out after 100 failures');
    assert.equal(expectCspError(still.body, 429).errorCode, 'mfa_locked');
    assert.match(still.body.message, /administrator/);
    assert.equal((await exchangeRaw(server, e.apiToken, e.recoveryCodes[0])).status, 429);

    const unlocked = await cli(['mfa', 'unlock', '--username', e.username, '--database', server.testStore.url, '--json']);
    assert.equal(unlocked.code, 0, unlocked.stderr);
    assert.deepEqual(JSON.parse(unlocked.stdout), { id: e.userId, username: e.username, domain: 'local', unlocked: true });

    assert.equal((await exchangeRaw(server, e.apiToken, e.recoveryCodes[0])).status, 200, 'recovery codes kept');
    const signedIn = await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock));
    assert.equal(signedIn.status, 200, 'device kept');
    const token = signedIn.body.access_token as string;
    const status = await (await server.call(`${MFA}/status`, { token })).json();
    assert.deepEqual(status, { activated: true, deviceName: 'kept phone', turnedOn: true, username: e.username });
    const audit = await postJson(server, `${MFA}/audit`, token, { startDate: 0, endDate: clock.now() + 1, actions: ['MFA_UNLOCK'] });
    assert.deepEqual(
      audit.body.results.map((r: any) => [r.action, r.modifiedBy, r.details.deviceName]),
      [['MFA_UNLOCK', 'admin', 'kept phone']],
    );
    clock.advance(PERIOD_MS);
  });

  it('unlocks a principal in a timed lock at once, and reports a principal that was not locked', async () => {
    const e = await enrol(server, clock);
    await fail(server, clock, e, 50);
    await lockedFor(server, clock, e);
    const human = await cli(['mfa', 'unlock', '--username', e.username, '--database', server.testStore.url]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`unlocked ${e.username}`));
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 200);
    clock.advance(PERIOD_MS);
    const again = await cli(['mfa', 'unlock', '--username', e.username, '--database', server.testStore.url, '--json']);
    assert.equal(again.code, 0);
    assert.equal(JSON.parse(again.stdout).unlocked, false);
    const unknown = await cli(['mfa', 'unlock', '--username', 'nobody-here', '--database', server.testStore.url]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no user named/);
  });
});

describe('the lockout rules', () => {
  const policy = { threshold: 5, lockoutSeconds: 900 };
  const fresh = { failedCount: 0, lockedUntil: null, lockouts: 0, consecutiveFailures: 0 };

  it('lasts 15 min, 30 min, 1 h, … and never more than 24 h', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => lockDurationSeconds(n, policy)),
      [900, 1800, 3600, 7200, 14_400, 28_800, 57_600, 86_400, 86_400],
    );
  });

  it('locks on the threshold-th failure, and starts a fresh run when a lock has run out', () => {
    const fourth = { ...fresh, failedCount: 4, consecutiveFailures: 9, lockouts: 1, lockedUntil: null };
    assert.deepEqual(decideAttempt(fourth, 1_000, policy), {
      allowed: true,
      next: { failedCount: 5, consecutiveFailures: 10, lockouts: 2, lockedUntil: 1_000 + 1_800_000 },
    });
    const ranOut = { failedCount: 5, consecutiveFailures: 10, lockouts: 2, lockedUntil: 2_000 };
    assert.deepEqual(decideAttempt(ranOut, 2_000, policy), {
      allowed: true,
      next: { failedCount: 1, consecutiveFailures: 11, lockouts: 2, lockedUntil: null },
    });
    assert.deepEqual(decideAttempt(ranOut, 1_999, policy), { allowed: false, retryAfterSeconds: 1 });
  });

  it('refuses without Retry-After once the failures in a row reach the cap, whatever the clock says', () => {
    const capped = { failedCount: 3, consecutiveFailures: MAX_CONSECUTIVE_FAILURES, lockouts: 20, lockedUntil: 0 };
    assert.deepEqual(decideAttempt(capped, Number.MAX_SAFE_INTEGER, policy), { allowed: false, retryAfterSeconds: undefined });
    const last = { ...fresh, failedCount: 1, consecutiveFailures: MAX_CONSECUTIVE_FAILURES - 1 };
    const decided = decideAttempt(last, 0, policy);
    assert.ok(decided.allowed && decided.next.lockedUntil !== null, 'the hundredth failure locks as well');
  });
});
