// The API tokens repository (api_tokens): only SHA-256 hashes of the tokens, never a token itself.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ApiTokenRecord {
  userId: string;
  expiresAt: number | null;
  revokedAt: number | null;
}

export type ApiTokensRepository = ReturnType<typeof createApiTokensRepository>;

export function createApiTokensRepository(db: Kysely<Database>) {
  return {
    async insert(tokenHash: string, token: Omit<ApiTokenRecord, 'revokedAt'>, createdAt: number): Promise<void> {
      await db
        .insertInto('api_tokens')
        .values({ id: randomUUID(), user_id: token.userId, token_hash: tokenHash, created_at: createdAt, expires_at: token.expiresAt, revoked_at: null })
        .execute();
    },

    async findByHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
      const row = await db.selectFrom('api_tokens').select(['user_id', 'expires_at', 'revoked_at']).where('token_hash', '=', tokenHash).executeTakeFirst();
      return (
        row && {
          userId: row.user_id,
          expiresAt: row.expires_at === null ? null : Number(row.expires_at),
          revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
        }
      );
    },

    /** Revokes the user's live tokens as of `nowMs`; returns how many. */
    async revokeAllForUser(userId: string, nowMs: number): Promise<number> {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: nowMs })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}
