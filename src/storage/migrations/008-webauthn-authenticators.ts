// Passkeys and security keys (WebAuthn credentials) beside the one TOTP device, and their single-use challenges.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webauthn_credentials')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    // base64url of the authenticator's credential id: unique across principals (one key, one owner).
    .addColumn('credential_id', 'varchar(1400)', (c) => c.notNull().unique())
    // base64url of the COSE public key.
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('sign_count', 'bigint', (c) => c.notNull())
    // JSON array of transport hints (usb, nfc, ble, internal, hybrid…).
    .addColumn('transports', 'text', (c) => c.notNull())
    .addColumn('aaguid', 'varchar(36)', (c) => c.notNull())
    .addColumn('backup_eligible', 'integer', (c) => c.notNull())
    .addColumn('backed_up', 'integer', (c) => c.notNull())
    .addColumn('user_verified', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('webauthn_credentials_user').on('webauthn_credentials').columns(['user_id', 'created_at']).execute();

  await db.schema
    .createTable('webauthn_challenges')
    // SHA-256 (hex) of the challenge: a copy of the table does not hand out usable challenges.
    .addColumn('challenge_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // registration | authentication
    .addColumn('purpose', 'varchar(16)', (c) => c.notNull())
    // Registration: the name the new credential will get.
    .addColumn('name', 'varchar(255)')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webauthn_challenges_user').on('webauthn_challenges').columns(['user_id', 'expires_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webauthn_challenges').execute();
  await db.schema.dropTable('webauthn_credentials').execute();
}
