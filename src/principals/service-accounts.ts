// Service accounts: client-credentials applications. Their secrets are stored hashed.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';
import { generateSecret, hashSecret } from '../secrets/bearer-secrets.js';
import type { ServiceAccount } from '../storage/repositories/clients.js';
import { DEFAULT_ORG } from './users.js';

export type { ServiceAccount };

export async function createServiceAccount(store: Store, clock: Clock, name: string, orgId = DEFAULT_ORG): Promise<{ clientId: string; clientSecret: string }> {
  const clientId = `pmfa-client-${randomBytes(12).toString('hex')}`;
  const clientSecret = generateSecret('pmfa_cs_');
  await store.clients.insert({ clientId, name, secretHash: hashSecret(clientSecret), orgId, enabled: true }, clock.now());
  return { clientId, clientSecret };
}

export function findServiceAccount(store: Store, clientId: string): Promise<ServiceAccount | undefined> {
  return store.clients.findById(clientId);
}
