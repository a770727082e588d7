// Sign-ins finish once (issue 11 review): the interaction id of every finished sign-in, hashed, until its
// sealed cookie would have expired anyway, so a copy of that cookie finishes nothing again on any copy of
// the service, before or after a restart.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('signin_finished_interactions')
    // SHA-256 (hex) of the random interaction id sealed in the cookie.
    .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
    // The interaction's own end (epoch ms): after it the cookie is refused by its seal alone, and the row is swept.
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('signin_finished_interactions_expiry').on('signin_finished_interactions').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('signin_finished_interactions').execute();
}
