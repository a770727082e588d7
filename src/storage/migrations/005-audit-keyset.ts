// Audit indexes for keyset paging and the retention purge (issue 8, finding 7).
import type { Kysely } from 'kysely';

/**
 * One index answers every audit query without touching the table until the page's rows are read: the
 * principal and date range select, (event_date, seq) orders and seeks, and the action and device-name
 * filters are checked on the index entry itself. The date index lets the purge find expired events.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('audit_events_user_keyset').on('audit_events').columns(['user_id', 'event_date', 'seq', 'action', 'device_name']).execute();
  await db.schema.dropIndex('audit_events_user_date').execute();
  await db.schema.createIndex('audit_events_date').on('audit_events').column('event_date').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_date').execute();
  await db.schema.createIndex('audit_events_user_date').on('audit_events').columns(['user_id', 'event_date']).execute();
  await db.schema.dropIndex('audit_events_user_keyset').execute();
}
