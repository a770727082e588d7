// Audit retention (--audit-retention-days): events older than that are deleted, a small batch at a time.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';
import type { AuditExecutor } from './executor.js';

/**
 * A batch is one short transaction that finds its rows through the event_date index; the pause between
 * batches lets every other write in. On SQLite the batches run on the audit worker's own connection.
 */
export const AUDIT_PURGE = { batchRows: 100, pauseMs: 20, intervalMs: 3_600_000 };

const DAY_MS = 86_400_000;

export interface PurgeOptions {
  batchRows?: number;
  pauseMs?: number;
  /** Checked between batches: stop early (shutdown). */
  stopped?(): boolean;
}

/** Deletes the events dated before `cutoffMs`; returns how many were deleted. */
export async function purgeAuditEventsBefore(store: Store, executor: AuditExecutor, cutoffMs: number, options: PurgeOptions = {}): Promise<number> {
  const { batchRows = AUDIT_PURGE.batchRows, pauseMs = AUDIT_PURGE.pauseMs } = options;
  // One index seek on the store's own connection first: usually nothing has expired, and then no batch
  // (and on SQLite no worker) is needed at all.
  if (!(await store.audit.hasEventsBefore(cutoffMs))) return 0;
  let deleted = 0;
  for (;;) {
    const changed = await executor.deleteBatchBefore(cutoffMs, batchRows);
    deleted += changed;
    if (changed < batchRows || options.stopped?.()) return deleted;
    await sleep(pauseMs);
  }
}

export interface AuditRetention {
  /** Stops the schedule and waits for a purge in progress to end (after its current batch). */
  stop(): Promise<void>;
}

/**
 * Purges now and then every hour, on every copy (deleting what another copy already deleted is a no-op).
 * retentionDays 0 keeps events forever. Failures are reported to `onError` and retried next hour.
 */
export function scheduleAuditRetention(options: {
  store: Store;
  executor: AuditExecutor;
  clock: Clock;
  retentionDays: number;
  onPurged(deleted: number): void;
  onError(error: unknown): void;
}): AuditRetention {
  if (options.retentionDays === 0) return { stop: async () => undefined };
  let stopped = false;
  let running: Promise<void> | undefined;
  const purge = () => {
    if (running || stopped) return;
    const cutoffMs = options.clock.now() - options.retentionDays * DAY_MS;
    running = purgeAuditEventsBefore(options.store, options.executor, cutoffMs, { stopped: () => stopped })
      .then((deleted) => {
        if (deleted > 0) options.onPurged(deleted);
      }, options.onError)
      .finally(() => (running = undefined));
  };
  const timer = setInterval(purge, AUDIT_PURGE.intervalMs).unref();
  purge();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
