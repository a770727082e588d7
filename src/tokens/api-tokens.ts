// API tokens: long-lived user secrets, shown once, stored as SHA-256 hashes, revocable.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';
import { generateSecret, hashSecret } from '../secrets/bearer-secrets.js';

export const API_TOKEN_PREFIX = 'pmfa_at_';

export async function createApiToken(store: Store, clock: Clock, userId: string, expiresAt: number | null = null): Promise<string> {
  const apiToken = generateSecret(API_TOKEN_PREFIX);
  await store.db
    .insertInto('api_tokens')
    .values({ id: randomUUID(), user_id: userId, token_hash: hashSecret(apiToken), created_at: clock.now(), expires_at: expiresAt, revoked_at: null })
    .execute();
  return apiToken;
}

/** The user id owning a live (unrevoked, unexpired) API token. Lookup by hash: no secret ever hits SQL. */
export async function findApiTokenOwner(store: Store, clock: Clock, apiToken: string): Promise<string | undefined> {
  if (apiToken.length > 256) return undefined;
  const row = await store.db
    .selectFrom('api_tokens')
    .select(['user_id', 'expires_at', 'revoked_at'])
    .where('token_hash', '=', hashSecret(apiToken))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  if (row.expires_at !== null && Number(row.expires_at) <= clock.now()) return undefined;
  return row.user_id;
}

export async function revokeApiTokens(store: Store, clock: Clock, userId: string): Promise<number> {
  const result = await store.db
    .updateTable('api_tokens')
    .set({ revoked_at: clock.now() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
