// Audit log paging: pageStart 0, keyset (seek) paging, the capped totalResults and the 10,000-result window.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ReadGate } from '../../src/audit/executor.js';
import type { Store } from '../../src/storage/database.js';
import { MFA, postJson } from '../mfa/support.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { kyselyOf } from '../../src/storage/internal.js';

const AUDIT = `${MFA}/audit`;

/** `count` events for the user, the newest last; `datesPerStep` events share each millisecond (ties). */
async function seedEvents(
  store: Store,
  user: { id: string; username: string },
  count: number,
  firstDate: number,
  options: { datesPerStep?: number; actions?: string[] } = {},
) {
  const { datesPerStep = 1, actions = ['AUTHENTICATION_WITHOUT_MFA'] } = options;
  for (let i = 0; i < count; i += 500) {
    const rows = [];
    for (let j = i; j < Math.min(count, i + 500); j++) {
      const action = actions[j % actions.length]!;
      rows.push({
        event_id: randomUUID(),
        user_id: user.id,
        username: user.username,
        action,
        device_name: null,
        modified_by: user.username,
        event_date: firstDate + Math.floor(j / datesPerStep),
      });
    }
    await kyselyOf(store).insertInto('audit_events').values(rows).execute();
  }
}

describe('audit log paging', () => {
  let server: TestServer;
  const clock = new TestClock(Date.now());
  const firstDate = clock.now() - 3_600_000;
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  /** A principal with `count` seeded events (plus the one its token exchange wrote, dated now). */
  async function principalWith(count: number, options?: Parameters<typeof seedEvents>[4]) {
    const { accessToken, user } = await server.accessTokenFor();
    await seedEvents(server.services.store, user, count, firstDate, options);
    const query = async (body: Record<string, unknown>) => {
      const res = await postJson(server, AUDIT, accessToken, { startDate: firstDate, endDate: firstDate + 1_000_000, ...body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { itemsPerPage: number; startIndex: number; totalResults: number; results: { eventId: string; eventDate: number; action: string }[] };
    };
    return { user, accessToken, query };
  }

  it('issue 9.9: takes pageStart 0 as the first result, like 1, and answers startIndex 1', async () => {
    const { query } = await principalWith(5);
    const zero = await query({ pageStart: 0, pageLimit: 2 });
    const one = await query({ pageStart: 1, pageLimit: 2 });
    assert.equal(zero.startIndex, 1);
    assert.deepEqual(zero.results, one.results);
    assert.equal(zero.results.length, 2);
    assert.equal(zero.results[0]!.eventDate, firstDate + 4, 'newest first');
    const next = await query({ pageStart: zero.startIndex + zero.itemsPerPage, pageLimit: 2 });
    assert.equal(next.startIndex, 3);
    assert.equal(next.results[0]!.eventDate, firstDate + 2, 'startIndex + itemsPerPage is the next page');
  });

  it("finding 8.7: the next page starts right after the previous page's last event, even when newer events arrive meanwhile", async () => {
    const { user, query } = await principalWith(10);
    const first = await query({ pageStart: 1, pageLimit: 4 });
    await seedEvents(server.services.store, user, 1, firstDate + 500); // newer than every event seen so far
    const second = await query({ pageStart: 5, pageLimit: 4 });
    assert.deepEqual(
      first.results.map((r) => r.eventDate),
      [9, 8, 7, 6].map((d) => firstDate + d),
    );
    assert.deepEqual(
      second.results.map((r) => r.eventDate),
      [5, 4, 3, 2].map((d) => firstDate + d),
      'no event repeated, none skipped',
    );
    assert.equal(second.totalResults, 11);
  });

  it('pages through events that share a date in the same order as one large page, with and without filters', async () => {
    const { query } = await principalWith(45, { datesPerStep: 3, actions: ['MFA_ENABLE', 'MFA_DISABLE', 'MFA_AUTHENTICATION_FAILURE'] });
    for (const filter of [{}, { actions: ['MFA_ENABLE', 'MFA_DISABLE'] }]) {
      const all = (await query({ ...filter, pageLimit: 200 })).results.map((r) => r.eventId);
      assert.equal(all.length, Object.keys(filter).length ? 30 : 45);
      const paged: string[] = [];
      for (let start = 1; start <= all.length; start += 7)
        paged.push(...(await query({ ...filter, pageStart: start, pageLimit: 7 })).results.map((r) => r.eventId));
      assert.deepEqual(paged, all);
      // A position never asked for before (another endDate, so no page ended there) gives the same events.
      const jump = await query({ ...filter, endDate: firstDate + 999_999, pageStart: 20, pageLimit: 5 });
      assert.deepEqual(
        jump.results.map((r) => r.eventId),
        all.slice(19, 24),
      );
    }
  });

  it('finding 8.7: counts totalResults no further than 10,000 and answers pages up to that window only', async () => {
    const { accessToken, query } = await principalWith(10_050);
    const firstPage = await query({ pageLimit: 1 });
    assert.equal(firstPage.totalResults, 10_000);
    assert.equal(firstPage.results[0]!.eventDate, firstDate + 10_049);
    const end = await query({ pageStart: 9_999, pageLimit: 5 });
    assert.deepEqual(
      end.results.map((r) => r.eventDate),
      [firstDate + 51, firstDate + 50],
      'positions 9,999 and 10,000 only',
    );
    const beyond = await postJson(server, AUDIT, accessToken, { startDate: firstDate, endDate: firstDate + 1_000_000, pageStart: 10_001 });
    assert.equal(beyond.status, 400);
    assert.equal(expectCspError(beyond.body, 400).errorCode, 'invalid_audit_request');
    assert.match(beyond.body.message, /endDate/, 'the message says how to read further back');
    // Further back: endDate at the last event seen.
    const older = await query({ endDate: firstDate + 50, pageLimit: 200 });
    assert.equal(older.totalResults, 51);
  });
});

describe('audit read gate', () => {
  it('answers 503 service_unavailable with Retry-After when more audit queries wait than the queue holds', async () => {
    const gate = new ReadGate(2, 3);
    const release: (() => void)[] = [];
    const blocked = () => gate.run(() => new Promise<void>((resolve) => release.push(resolve)));
    const running = [blocked(), blocked(), blocked(), blocked(), blocked()];
    await assert.rejects(
      gate.run(async () => undefined),
      (error: { code?: string; retryAfterSeconds?: number }) => error.code === 'service_unavailable' && error.retryAfterSeconds === 1,
    );
    // Each release lets one waiting read start; it then waits in turn for its own release.
    for (let round = 0; round < 3; round++) {
      while (release.length) release.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(running);
    assert.equal(await gate.run(async () => 'free again'), 'free again');
  });
});
