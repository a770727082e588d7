// Lockout escalation (issue 8, item 10): how often a run of failures has locked the principal, and how
// many failures in a row it has had since the last success or admin unlock.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('mfa_lockouts')
    .addColumn('lockouts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('mfa_lockouts')
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mfa_lockouts').dropColumn('consecutive_failures').execute();
  await db.schema.alterTable('mfa_lockouts').dropColumn('lockouts').execute();
}
