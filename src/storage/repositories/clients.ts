// The clients repository (service_accounts): client-credentials applications and their hashed secrets.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ServiceAccount {
  clientId: string;
  name: string;
  orgId: string;
  enabled: boolean;
  secretHash: string;
}

export type ClientsRepository = ReturnType<typeof createClientsRepository>;

export function createClientsRepository(db: Kysely<Database>) {
  return {
    async insert(account: ServiceAccount, createdAt: number): Promise<void> {
      const { clientId, name, secretHash, orgId, enabled } = account;
      await db
        .insertInto('service_accounts')
        .values({ client_id: clientId, name, secret_hash: secretHash, org_id: orgId, enabled: enabled ? 1 : 0, created_at: createdAt })
        .execute();
    },

    async findById(clientId: string): Promise<ServiceAccount | undefined> {
      const row = await db.selectFrom('service_accounts').selectAll().where('client_id', '=', clientId).executeTakeFirst();
      return row && { clientId: row.client_id, name: row.name, orgId: row.org_id, enabled: Number(row.enabled) === 1, secretHash: row.secret_hash };
    },
  };
}
