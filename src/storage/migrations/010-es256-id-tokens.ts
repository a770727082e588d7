// ES256 ID tokens per client (issue 11): each signing key names its algorithm, and each sign-in application
// the algorithm its ID tokens are signed with. Every existing key is RSA and every existing client keeps RS256.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('signing_keys')
    .addColumn('alg', 'varchar(16)', (c) => c.notNull().defaultTo('RS256'))
    .execute();
  await db.schema
    .alterTable('oidc_clients')
    .addColumn('id_token_signed_response_alg', 'varchar(16)', (c) => c.notNull().defaultTo('RS256'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oidc_clients').dropColumn('id_token_signed_response_alg').execute();
  await db.schema.alterTable('signing_keys').dropColumn('alg').execute();
}
