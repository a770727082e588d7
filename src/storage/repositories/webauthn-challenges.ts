// The WebAuthn challenges repository (webauthn_challenges): single-use, expiring, bound to one principal and purpose.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export type ChallengePurpose = 'registration' | 'authentication';

export interface StoredChallenge {
  challengeHash: string;
  userId: string;
  purpose: ChallengePurpose;
  /** Registration: the name the credential will get. */
  name: string | null;
  expiresAt: number;
}

export type WebauthnChallengesRepository = ReturnType<typeof createWebauthnChallengesRepository>;

export function createWebauthnChallengesRepository(db: Kysely<Database>) {
  return {
    /** Stores a challenge and drops the principal's expired ones, so unused challenges do not pile up. */
    async insert(c: StoredChallenge, nowMs: number): Promise<void> {
      await db.deleteFrom('webauthn_challenges').where('user_id', '=', c.userId).where('expires_at', '<=', nowMs).execute();
      await db
        .insertInto('webauthn_challenges')
        .values({ challenge_hash: c.challengeHash, user_id: c.userId, purpose: c.purpose, name: c.name, expires_at: c.expiresAt })
        .execute();
    },

    /**
     * Spends the challenge: one DELETE … RETURNING, so of two requests with the same challenge exactly one
     * gets it back. Only the principal's own challenge for this purpose is spent; expiry is the caller's check.
     */
    async take(challengeHash: string, userId: string, purpose: ChallengePurpose): Promise<StoredChallenge | undefined> {
      const row = await db
        .deleteFrom('webauthn_challenges')
        .where('challenge_hash', '=', challengeHash)
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        challengeHash: row.challenge_hash,
        userId: row.user_id,
        purpose: row.purpose as ChallengePurpose,
        name: row.name,
        expiresAt: Number(row.expires_at),
      };
    },

    async deleteForUser(userId: string): Promise<void> {
      await db.deleteFrom('webauthn_challenges').where('user_id', '=', userId).execute();
    },
  };
}
