// The org audit repository (org_audit_events): what organization admins did, and who did it.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface OrgAuditEvent {
  orgId: string;
  actor: string;
  action: string;
  targetUsername: string | null;
  detail: string | null;
  eventDate: number;
}

export type OrgAuditRepository = ReturnType<typeof createOrgAuditRepository>;

export function createOrgAuditRepository(db: Kysely<Database>) {
  return {
    async record(e: OrgAuditEvent): Promise<void> {
      await db
        .insertInto('org_audit_events')
        .values({ org_id: e.orgId, actor: e.actor, action: e.action, target_username: e.targetUsername, detail: e.detail, event_date: e.eventDate })
        .execute();
    },

    /** The newest events of an organization first (tests and support; the index is (org_id, event_date, seq)). */
    async latest(orgId: string, limit: number): Promise<OrgAuditEvent[]> {
      const rows = await db
        .selectFrom('org_audit_events')
        .selectAll()
        .where('org_id', '=', orgId)
        .orderBy('event_date', 'desc')
        .orderBy('seq', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        orgId: r.org_id,
        actor: r.actor,
        action: r.action,
        targetUsername: r.target_username,
        detail: r.detail,
        eventDate: Number(r.event_date),
      }));
    },
  };
}
