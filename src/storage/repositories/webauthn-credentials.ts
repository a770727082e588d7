// The WebAuthn credentials repository (webauthn_credentials): a principal's passkeys and security keys.
import type { Kysely, Selectable } from 'kysely';
import type { Database, WebauthnCredentialsTable } from '../schema.js';

export interface WebauthnCredential {
  /** Our id (UUID), used in URLs; never the authenticator's credential id. */
  id: string;
  userId: string;
  name: string;
  /** base64url of the authenticator's credential id. */
  credentialId: string;
  /** base64url of the COSE public key. */
  publicKey: string;
  signCount: number;
  transports: string[];
  aaguid: string;
  backupEligible: boolean;
  backedUp: boolean;
  /** Whether the authenticator verified the user (PIN, biometrics) at registration; then every use must too. */
  userVerified: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

const toCredential = (row: Selectable<WebauthnCredentialsTable>): WebauthnCredential => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  credentialId: row.credential_id,
  publicKey: row.public_key,
  signCount: Number(row.sign_count),
  transports: JSON.parse(row.transports) as string[],
  aaguid: row.aaguid,
  backupEligible: Number(row.backup_eligible) === 1,
  backedUp: Number(row.backed_up) === 1,
  userVerified: Number(row.user_verified) === 1,
  createdAt: Number(row.created_at),
  lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
});

export type WebauthnCredentialsRepository = ReturnType<typeof createWebauthnCredentialsRepository>;

export function createWebauthnCredentialsRepository(db: Kysely<Database>) {
  return {
    /** The principal's credentials, first registered first (the status shows the first one's name). */
    async listForUser(userId: string): Promise<WebauthnCredential[]> {
      const rows = await db.selectFrom('webauthn_credentials').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
      return rows.map(toCredential);
    },

    async findFirstName(userId: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('webauthn_credentials')
        .select('name')
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return row?.name;
    },

    async countForUser(userId: string): Promise<number> {
      const row = await db
        .selectFrom('webauthn_credentials')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async findById(userId: string, id: string): Promise<WebauthnCredential | undefined> {
      const row = await db.selectFrom('webauthn_credentials').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      return row && toCredential(row);
    },

    /** By the authenticator's credential id, whoever owns it. */
    async findByCredentialId(credentialId: string): Promise<WebauthnCredential | undefined> {
      const row = await db.selectFrom('webauthn_credentials').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
      return row && toCredential(row);
    },

    /** Returns false when the credential id is already registered (to anyone): the unique index decides. */
    async insert(c: WebauthnCredential): Promise<boolean> {
      const result = await db
        .insertInto('webauthn_credentials')
        .values({
          id: c.id,
          user_id: c.userId,
          name: c.name,
          credential_id: c.credentialId,
          public_key: c.publicKey,
          sign_count: c.signCount,
          transports: JSON.stringify(c.transports),
          aaguid: c.aaguid,
          backup_eligible: c.backupEligible ? 1 : 0,
          backed_up: c.backedUp ? 1 : 0,
          user_verified: c.userVerified ? 1 : 0,
          created_at: c.createdAt,
          last_used_at: c.lastUsedAt,
        })
        .onConflict((oc) => oc.column('credential_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    /**
     * Records a use: the new sign count only if the stored one is still the one the verification saw, so
     * two concurrent uses of one assertion (or a cloned key racing the original) cannot both win.
     */
    async recordUse(c: Pick<WebauthnCredential, 'id' | 'signCount'>, next: { signCount: number; backedUp: boolean; atMs: number }): Promise<boolean> {
      const result = await db
        .updateTable('webauthn_credentials')
        .set({ sign_count: next.signCount, backed_up: next.backedUp ? 1 : 0, last_used_at: next.atMs })
        .where('id', '=', c.id)
        .where('sign_count', '=', c.signCount)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async rename(userId: string, id: string, name: string): Promise<boolean> {
      const result = await db.updateTable('webauthn_credentials').set({ name }).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async delete(userId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('webauthn_credentials').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    async deleteForUser(userId: string): Promise<void> {
      await db.deleteFrom('webauthn_credentials').where('user_id', '=', userId).execute();
    },
  };
}
