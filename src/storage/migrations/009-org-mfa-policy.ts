// Organizations (issue 13): each principal's org role, each org's MFA policy, the org admins' audit trail,
// and the indexes that keep the org listing a keyset walk at a million principals.
import { type Kysely, PostgresAdapter } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // csp:org_owner / csp:org_admin / csp:org_member in the access token's perms; every existing user is a member.
  await db.schema
    .alterTable('users')
    .addColumn('role', 'varchar(32)', (c) => c.notNull().defaultTo('org_member'))
    .execute();
  // An admin reset restarts the principal's grace period from here (null: from its creation).
  await db.schema.alterTable('users').addColumn('mfa_grace_from', 'bigint').execute();
  // The listing walks (org_id, username, id) in order and stops after a page: no sort, no offset.
  await db.schema.createIndex('users_org_listing').on('users').columns(['org_id', 'username', 'id']).execute();
  // "Locked now" (metrics, the locked filter's count) without reading every lockout row.
  await db.schema.createIndex('mfa_lockouts_locked_until').on('mfa_lockouts').column('locked_until').execute();

  await db.schema
    .createTable('org_mfa_policies')
    .addColumn('org_id', 'varchar(255)', (c) => c.primaryKey())
    /** The policy document as JSON (orgs/policy.ts validates it before it is written). */
    .addColumn('policy', 'text', (c) => c.notNull())
    /** When MFA became required (the grace period counts from here); null while nothing is required. */
    .addColumn('required_since', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'varchar(255)', (c) => c.notNull())
    .execute();

  // No foreign keys: the trail outlives the principals and admins it names.
  await db.schema
    .createTable('org_audit_events')
    .addColumn('seq', 'integer', (c) =>
      db.getExecutor().adapter instanceof PostgresAdapter ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('org_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('actor', 'varchar(255)', (c) => c.notNull())
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('target_username', 'varchar(255)')
    .addColumn('detail', 'text')
    .addColumn('event_date', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('org_audit_events_org_date').on('org_audit_events').columns(['org_id', 'event_date', 'seq']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('org_audit_events').execute();
  await db.schema.dropTable('org_mfa_policies').execute();
  await db.schema.dropIndex('mfa_lockouts_locked_until').execute();
  await db.schema.dropIndex('users_org_listing').execute();
  await db.schema.alterTable('users').dropColumn('mfa_grace_from').execute();
  await db.schema.alterTable('users').dropColumn('role').execute();
}
