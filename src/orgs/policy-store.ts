// Reading and changing an organization's MFA policy; a change and its audit event commit together.
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';
import type { OrgPolicyRecord } from '../storage/repositories/org-policies.js';
import { recordOrgEvent } from './org-audit.js';
import { DEFAULT_POLICY, nextRequiredSince, type OrgMfaPolicy, parsePolicy, type StoredPolicy } from './policy.js';

/** A stored document that no longer parses is a fault, never "no policy": refusing beats silently requiring nothing. */
export function toStoredPolicy(record: Omit<OrgPolicyRecord, 'orgId'>): StoredPolicy {
  const parsed = parsePolicy(JSON.parse(record.policyJson));
  if ('errors' in parsed) throw new Error(`stored MFA policy is invalid: ${parsed.errors.join('; ')}`);
  return { policy: parsed.policy, requiredSince: record.requiredSince, updatedAt: record.updatedAt, updatedBy: record.updatedBy };
}

export async function readOrgPolicy(store: Pick<Store, 'orgPolicies'>, orgId: string): Promise<StoredPolicy | undefined> {
  const record = await store.orgPolicies.find(orgId);
  return record && toStoredPolicy(record);
}

/** The policy in force: the stored one, or the default that requires nothing. */
export async function effectiveOrgPolicy(store: Pick<Store, 'orgPolicies'>, orgId: string): Promise<OrgMfaPolicy> {
  return (await readOrgPolicy(store, orgId))?.policy ?? DEFAULT_POLICY;
}

/** Replaces the policy (`actor`: an org admin's username, or `admin` for the CLI); audited as ORG_POLICY_UPDATE. */
export async function setOrgPolicy(store: Store, clock: Clock, orgId: string, policy: OrgMfaPolicy, actor: string): Promise<StoredPolicy> {
  return store.transaction(async (trx) => {
    const nowMs = clock.now();
    const previousRecord = await trx.orgPolicies.find(orgId);
    const previous = previousRecord && toStoredPolicy(previousRecord);
    const requiredSince = nextRequiredSince(previous, policy, nowMs);
    await trx.orgPolicies.upsert({ orgId, policyJson: JSON.stringify(policy), requiredSince, updatedAt: nowMs, updatedBy: actor });
    await recordOrgEvent(trx, { orgId, actor, action: 'ORG_POLICY_UPDATE', detail: { policy }, eventDate: nowMs });
    return { policy, requiredSince, updatedAt: nowMs, updatedBy: actor };
  });
}
