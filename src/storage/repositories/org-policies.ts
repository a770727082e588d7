// The org policies repository (org_mfa_policies, users.role): each organization's MFA policy document and
// what the exchange needs to apply it to one principal, in one read.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { precompiled } from '../precompiled.js';

/** The stored row; the policy document stays JSON text here (orgs/policy.ts owns its shape). */
export interface OrgPolicyRecord {
  orgId: string;
  policyJson: string;
  requiredSince: number | null;
  updatedAt: number;
  updatedBy: string;
}

/** One principal as a policy sees it: role, age, and its organization's policy (undefined: none set). */
export interface PrincipalPolicyContext {
  role: string;
  /** The later of the creation and the last admin reset: the principal's own start of any grace period. */
  graceFrom: number;
  policy: Omit<OrgPolicyRecord, 'orgId'> | undefined;
}

const toMs = (value: number | string | null): number | null => (value === null ? null : Number(value));

export type OrgPoliciesRepository = ReturnType<typeof createOrgPoliciesRepository>;

/** Asked at every token minting: built once (precompiled.ts). */
const principalContextQuery = precompiled(1, (db, userId) =>
  db
    .selectFrom('users')
    .leftJoin('org_mfa_policies', 'org_mfa_policies.org_id', 'users.org_id')
    .select([
      'users.role',
      'users.created_at',
      'users.mfa_grace_from',
      'org_mfa_policies.policy',
      'org_mfa_policies.required_since',
      'org_mfa_policies.updated_at',
      'org_mfa_policies.updated_by',
    ])
    .where('users.id', '=', userId),
);

export function createOrgPoliciesRepository(db: Kysely<Database>) {
  return {
    async find(orgId: string): Promise<OrgPolicyRecord | undefined> {
      const row = await db.selectFrom('org_mfa_policies').selectAll().where('org_id', '=', orgId).executeTakeFirst();
      return (
        row && {
          orgId: row.org_id,
          policyJson: row.policy,
          requiredSince: toMs(row.required_since),
          updatedAt: Number(row.updated_at),
          updatedBy: row.updated_by,
        }
      );
    },

    async upsert(record: OrgPolicyRecord): Promise<void> {
      const values = { policy: record.policyJson, required_since: record.requiredSince, updated_at: record.updatedAt, updated_by: record.updatedBy };
      await db
        .insertInto('org_mfa_policies')
        .values({ org_id: record.orgId, ...values })
        .onConflict((oc) => oc.column('org_id').doUpdateSet(values))
        .execute();
    },

    /** The user's role and creation time with its organization's policy: one read (a LEFT JOIN) per exchange. */
    async findPrincipalContext(userId: string): Promise<PrincipalPolicyContext | undefined> {
      const [row] = (await principalContextQuery(db, userId)).rows;
      if (!row) return undefined;
      const policy =
        row.policy === null
          ? undefined
          : { policyJson: row.policy, requiredSince: toMs(row.required_since), updatedAt: Number(row.updated_at), updatedBy: String(row.updated_by) };
      return { role: row.role, graceFrom: Math.max(Number(row.created_at), Number(row.mfa_grace_from ?? 0)), policy };
    },

    /** An admin reset gives the principal a new grace period from `atMs`. */
    async restartGrace(userId: string, atMs: number): Promise<void> {
      await db.updateTable('users').set({ mfa_grace_from: atMs }).where('id', '=', userId).execute();
    },

    async setRole(userId: string, role: string): Promise<void> {
      await db.updateTable('users').set({ role }).where('id', '=', userId).execute();
    },
  };
}
