// The audit log's slow side: a capped count and keyset (seek) pages over the audit_events_user_keyset
// index, and the retention purge's batches, run where they cannot hold up requests (a QueryRunner).
import { type Kysely, sql } from 'kysely';
import type { QueryRunner } from './query-runner.js';
import type { Database } from './schema.js';

/** Which of a principal's events: [startDate, endDate] (epoch ms), and optional filters. */
export interface AuditFilter {
  startDate: number;
  endDate: number;
  actions?: string[];
  deviceNames?: string[];
  eventIds?: string[];
}

/** A position in the newest-first order: the sort key of one event. */
export interface AuditKey {
  eventDate: number;
  seq: number;
}

export interface AuditEvent {
  eventId: string;
  username: string;
  action: string;
  deviceName: string | null;
  modifiedBy: string;
  eventDate: number;
  seq: number;
}

export interface AuditLogQueries {
  /** How many events match, counting no further than `cap`. */
  countEvents(userId: string, filter: AuditFilter, cap: number): Promise<number>;
  /** The key of the event at 1-based `position`, newest first. */
  findKeyAt(userId: string, filter: AuditFilter, position: number): Promise<AuditKey | undefined>;
  /** Up to `limit` events after `before` (or from the newest), newest first. */
  findPage(userId: string, filter: AuditFilter, before: AuditKey | undefined, limit: number): Promise<AuditEvent[]>;
  /** Deletes up to `batchRows` events dated before `cutoffMs` in one short transaction; returns how many. */
  deleteBatchBefore(cutoffMs: number, batchRows: number): Promise<number>;
  close(): Promise<void>;
}

/** The principal's events matching the filter, in the index's terms (no column outside it but event_id). */
function matching(db: Kysely<Database>, userId: string, filter: AuditFilter, before?: AuditKey) {
  let query = db
    .selectFrom(eventSource(db, filter.eventIds))
    .where('user_id', '=', userId)
    .where('event_date', '>=', filter.startDate)
    // With a cursor the upper bound of the range scan is the cursor's date; the row value breaks ties.
    .where('event_date', '<=', before ? Math.min(before.eventDate, filter.endDate) : filter.endDate);
  if (before) query = query.where((eb) => eb(eb.refTuple('event_date', 'seq'), '<', eb.tuple(before.eventDate, before.seq)));
  if (filter.actions?.length) query = query.where('action', 'in', filter.actions);
  if (filter.deviceNames?.length) query = query.where('device_name', 'in', filter.deviceNames);
  return query;
}

/**
 * The table, or for an eventIds filter (at most 20 unique ids) just those rows, read by id. In a subquery
 * with a LIMIT, which neither SQLite nor PostgreSQL merges into the outer query: merged, SQLite prefers
 * the keyset index (it also orders) and scans the principal's whole date range for 20 ids (0.8 s at 1 M).
 */
function eventSource(db: Kysely<Database>, eventIds: string[] | undefined): 'audit_events' {
  if (!eventIds?.length) return 'audit_events';
  const byId = db.selectFrom('audit_events').selectAll().where('event_id', 'in', eventIds).limit(eventIds.length).as('audit_events');
  // Same name and columns as the table, so the rest of the query reads the same; only the type needs telling.
  return byId as unknown as 'audit_events';
}

/** An index-only scan of at most `cap` entries when unfiltered. */
export function countQuery(db: Kysely<Database>, userId: string, filter: AuditFilter, cap: number) {
  const capped = matching(db, userId, filter)
    .select(sql<number>`1`.as('one'))
    .limit(cap)
    .as('capped');
  return db.selectFrom(capped).select((eb) => eb.fn.countAll<number>().as('total'));
}

/** Index-only; used when no page ended at `position` before. */
export function keyAtQuery(db: Kysely<Database>, userId: string, filter: AuditFilter, position: number) {
  return matching(db, userId, filter)
    .select(['event_date', 'seq'])
    .orderBy('event_date', 'desc')
    .orderBy('seq', 'desc')
    .limit(1)
    .offset(position - 1);
}

/** Seeks in the index, reads only these rows. */
export function pageQuery(db: Kysely<Database>, userId: string, filter: AuditFilter, before: AuditKey | undefined, limit: number) {
  return matching(db, userId, filter, before)
    .select(['event_id', 'username', 'action', 'device_name', 'modified_by', 'event_date', 'seq'])
    .orderBy('event_date', 'desc')
    .orderBy('seq', 'desc')
    .limit(limit);
}

/** Statements are built with `db` and run on `runner`. */
export function createAuditLogQueries(db: Kysely<Database>, runner: QueryRunner): AuditLogQueries {
  return {
    async countEvents(userId, filter, cap) {
      const [count] = await runner.rows(countQuery(db, userId, filter, cap));
      return Number(count?.total ?? 0);
    },
    async findKeyAt(userId, filter, position) {
      const [key] = await runner.rows(keyAtQuery(db, userId, filter, position));
      return key && { eventDate: Number(key.event_date), seq: Number(key.seq) };
    },
    async findPage(userId, filter, before, limit) {
      const rows = await runner.rows(pageQuery(db, userId, filter, before, limit));
      return rows.map((r) => ({
        eventId: r.event_id,
        username: r.username,
        action: r.action,
        deviceName: r.device_name,
        modifiedBy: r.modified_by,
        eventDate: Number(r.event_date),
        seq: Number(r.seq),
      }));
    },
    deleteBatchBefore(cutoffMs, batchRows) {
      const batch = db.selectFrom('audit_events').select('seq').where('event_date', '<', cutoffMs).limit(batchRows);
      return runner.run(db.deleteFrom('audit_events').where('seq', 'in', batch));
    },
    close: () => runner.close(),
  };
}
