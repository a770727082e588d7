// Service accounts: client-credentials applications. Their secrets are stored hashed.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';
import { generateSecret, hashSecret } from '../secrets/bearer-secrets.js';
import { DEFAULT_ORG } from './users.js';

export interface ServiceAccount {
  clientId: string;
  name: string;
  orgId: string;
  enabled: boolean;
  secretHash: string;
}

export async function createServiceAccount(store: Store, clock: Clock, name: string, orgId = DEFAULT_ORG): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = `pmfa-client-${randomBytes(12).toString('hex')}`;
  const clientSecret = generateSecret('pmfa_cs_');
  await store.db
    .insertInto('service_accounts')
    .values({ client_id: clientId, name, secret_hash: hashSecret(clientSecret), org_id: orgId, enabled: 1, created_at: clock.now() })
    .execute();
  return { clientId, clientSecret };
}

export async function findServiceAccount(store: Store, clientId: string): Promise<ServiceAccount | undefined> {
  const row = await store.db.selectFrom('service_accounts').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  return row && { clientId: row.client_id, name: row.name, orgId: row.org_id, enabled: Number(row.enabled) === 1, secretHash: row.secret_hash };
}
