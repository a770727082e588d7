// The org admins' audit trail: every call of the organization admin API and every policy or role change,
// with the actor (an org admin's username, or `admin` for the CLI), written in the change's transaction.
import type { Repositories } from '../storage/repositories/index.js';

export const ORG_AUDIT_ACTIONS = [
  'ORG_POLICY_READ',
  'ORG_POLICY_UPDATE',
  'ORG_PRINCIPALS_LIST',
  'ORG_PRINCIPAL_READ',
  'ORG_PRINCIPAL_UNLOCK',
  'ORG_PRINCIPAL_RESET',
  'ORG_REPORT',
  'ORG_ROLE_GRANT',
] as const;

export type OrgAuditAction = (typeof ORG_AUDIT_ACTIONS)[number];

export interface OrgAuditInput {
  orgId: string;
  actor: string;
  action: OrgAuditAction;
  targetUsername?: string;
  /** A small JSON object: the new policy, a reset's reason, a filter. */
  detail?: Record<string, unknown>;
  eventDate: number;
}

export function recordOrgEvent(repos: Pick<Repositories, 'orgAudit'>, e: OrgAuditInput): Promise<void> {
  return repos.orgAudit.record({
    orgId: e.orgId,
    actor: e.actor,
    action: e.action,
    targetUsername: e.targetUsername ?? null,
    detail: e.detail === undefined ? null : JSON.stringify(e.detail),
    eventDate: e.eventDate,
  });
}
