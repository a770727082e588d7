// API tokens: long-lived user secrets, shown once, stored as SHA-256 hashes, revocable.
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';
import { generateSecret, hashSecret } from '../secrets/bearer-secrets.js';

export const API_TOKEN_PREFIX = 'pmfa_at_';

export async function createApiToken(store: Store, clock: Clock, userId: string, expiresAt: number | null = null): Promise<string> {
  const apiToken = generateSecret(API_TOKEN_PREFIX);
  await store.apiTokens.insert(hashSecret(apiToken), { userId, expiresAt }, clock.now());
  return apiToken;
}

/** The user id owning a live (unrevoked, unexpired) API token. Lookup by hash: no secret ever hits SQL. */
export async function findApiTokenOwner(store: Store, clock: Clock, apiToken: string): Promise<string | undefined> {
  if (apiToken.length > 256) return undefined;
  const token = await store.apiTokens.findByHash(hashSecret(apiToken));
  if (!token || token.revokedAt !== null) return undefined;
  if (token.expiresAt !== null && token.expiresAt <= clock.now()) return undefined;
  return token.userId;
}

export function revokeApiTokens(store: Store, clock: Clock, userId: string): Promise<number> {
  return store.apiTokens.revokeAllForUser(userId, clock.now());
}
