// The audit repository (audit_events): writing one event, in the caller's transaction; the paged reads are in audit-log.ts.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface AuditEventRecord {
  userId: string;
  username: string;
  action: string;
  deviceName: string | null;
  modifiedBy: string;
  eventDate: number;
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;

export function createAuditRepository(db: Kysely<Database>) {
  return {
    async record(event: AuditEventRecord): Promise<void> {
      await db
        .insertInto('audit_events')
        .values({
          event_id: randomUUID(),
          user_id: event.userId,
          username: event.username,
          action: event.action,
          device_name: event.deviceName,
          modified_by: event.modifiedBy,
          event_date: event.eventDate,
        })
        .execute();
    },

    /** One index seek: whether any event is dated before `cutoffMs`. */
    async hasEventsBefore(cutoffMs: number): Promise<boolean> {
      return (await db.selectFrom('audit_events').select('seq').where('event_date', '<', cutoffMs).limit(1).executeTakeFirst()) !== undefined;
    },
  };
}
