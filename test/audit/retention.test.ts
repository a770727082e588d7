// Audit retention: events older than --audit-retention-days are purged in batches, on both stores.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createAuditExecutor } from '../../src/audit/executor.js';
import { purgeAuditEventsBefore } from '../../src/audit/retention.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Store } from '../../src/storage/database.js';
import { startTestServer, TestClock } from '../support/server.js';
import { createTestStore } from '../support/store.js';
import { kyselyOf } from '../../src/storage/internal.js';

const DAY_MS = 86_400_000;

async function seed(store: Store, dates: number[]): Promise<void> {
  const user = { id: randomUUID(), username: 'someone' };
  const rows = dates.map((eventDate) => ({
    event_id: randomUUID(),
    user_id: user.id,
    username: user.username,
    action: 'AUTHENTICATION_WITHOUT_MFA',
    device_name: null,
    modified_by: user.username,
    event_date: eventDate,
  }));
  for (let i = 0; i < rows.length; i += 500)
    await kyselyOf(store)
      .insertInto('audit_events')
      .values(rows.slice(i, i + 500))
      .execute();
}

async function remainingDates(store: Store): Promise<number[]> {
  const rows = await kyselyOf(store).selectFrom('audit_events').select('event_date').orderBy('event_date').execute();
  return rows.map((r) => Number(r.event_date));
}

describe('audit retention', () => {
  it('finding 8.7: deletes every event dated before the cutoff, a batch at a time, and keeps the rest', async () => {
    const testStore = await createTestStore();
    const executor = createAuditExecutor(testStore.store);
    try {
      const cutoff = 1_700_000_000_000;
      const old = Array.from({ length: 53 }, (_, i) => cutoff - 1 - i * 1000);
      await seed(testStore.store, [...old, cutoff, cutoff + 1, cutoff + DAY_MS]);
      const deleted = await purgeAuditEventsBefore(testStore.store, executor, cutoff, { batchRows: 10, pauseMs: 0 });
      assert.equal(deleted, 53);
      assert.deepEqual(await remainingDates(testStore.store), [cutoff, cutoff + 1, cutoff + DAY_MS]);
      assert.equal(await purgeAuditEventsBefore(testStore.store, executor, cutoff, { batchRows: 10, pauseMs: 0 }), 0, 'nothing left to purge');
    } finally {
      await executor.close();
      await testStore.dispose();
    }
  });

  it('finding 8.7: a server purges events older than --audit-retention-days when it starts', async () => {
    const clock = new TestClock(Date.now());
    const testStore = await createTestStore();
    try {
      const kept = [clock.now() - 2 * DAY_MS + 60_000, clock.now() - 1000];
      await seed(testStore.store, [clock.now() - 400 * DAY_MS, clock.now() - 3 * DAY_MS, clock.now() - 2 * DAY_MS - 60_000, ...kept]);
      const server = await startTestServer({ clock, databaseUrl: testStore.url, config: { auditRetentionDays: 2 } });
      try {
        let dates = await remainingDates(testStore.store);
        for (let waited = 0; dates.length > kept.length && waited < 10_000; waited += 50) {
          await sleep(50);
          dates = await remainingDates(testStore.store);
        }
        assert.deepEqual(dates, kept);
      } finally {
        await server.close();
      }
    } finally {
      await testStore.dispose();
    }
  });

  it('reads --audit-retention-days (default 400; 0 keeps events forever)', () => {
    assert.equal(loadConfig([]).auditRetentionDays, 400);
    assert.equal(loadConfig(['--audit-retention-days', '0']).auditRetentionDays, 0);
    assert.equal(loadConfig([], { PRINCIPAL_MFA_AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays, 30);
    assert.throws(
      () => loadConfig(['--audit-retention-days=-1']),
      (e: unknown) => e instanceof ConfigError && /--audit-retention-days must be an integer from 0/.test(e.message),
    );
    assert.throws(() => loadConfig(['--audit-retention-days', '1.5']), ConfigError);
  });
});
