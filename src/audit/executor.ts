// Where the audit log's SQL runs, and how much of it at once. The statements run off the event loop
// (storage's audit-log queries: on a SQLite file a worker thread of their own, see storage/sqlite-worker.ts);
// the expensive reads wait for one of a few slots, so that they can never take every pool connection or pile up.
import { ApiError } from '../errors.js';
import type { AuditLogQueries } from '../storage/audit-log.js';
import type { Store } from '../storage/database.js';

/** The store's audit-log queries, reads limited to AUDIT_READ_LIMITS.slots at once per process, .queue more waiting (then 503). */
export type AuditExecutor = AuditLogQueries;

/** Bounds on expensive reads, so that audit queries can never take every pool connection or pile up. */
export const AUDIT_READ_LIMITS = { slots: 2, queue: 16, retryAfterSeconds: 1 };

export function createAuditExecutor(store: Store): AuditExecutor {
  const queries = store.openAuditLogQueries();
  const gate = new ReadGate();
  return {
    countEvents: (...args) => gate.run(() => queries.countEvents(...args)),
    findKeyAt: (...args) => gate.run(() => queries.findKeyAt(...args)),
    findPage: (...args) => gate.run(() => queries.findPage(...args)),
    deleteBatchBefore: (...args) => queries.deleteBatchBefore(...args),
    close: () => queries.close(),
  };
}

/** At most `slots` reads at once, `queue` more waiting; beyond that a read is refused with 503 and Retry-After. */
export class ReadGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly slots = AUDIT_READ_LIMITS.slots,
    private readonly queue = AUDIT_READ_LIMITS.queue,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) {
      if (this.waiting.length >= this.queue) {
        throw new ApiError('service_unavailable', 'Too many audit log queries are running; retry shortly.', {
          retryAfterSeconds: AUDIT_READ_LIMITS.retryAfterSeconds,
        });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
