// The sign-in repository: browser sessions, authorization codes and refresh tokens, each keyed by the
// SHA-256 hash of its secret. Single use is a conditional UPDATE, so two racing requests cannot both win.
import type { Kysely, Selectable } from 'kysely';
import { precompiled } from '../precompiled.js';
import type { AuthorizationCodesTable, Database } from '../schema.js';

/** How a sign-in was authenticated, carried from the session to codes and tokens. */
export interface Authentication {
  userId: string;
  /** Epoch seconds. */
  authTime: number;
  amr: string[];
}

export interface SignInSession extends Authentication {
  idHash: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute end, epoch ms. */
  expiresAt: number;
}

export interface AuthorizationCode extends Authentication {
  codeHash: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | null;
  scope: string;
  acr: string;
  expiresAt: number;
  usedAt: number | null;
}

export interface RefreshToken extends Authentication {
  tokenHash: string;
  familyId: string;
  codeHash: string;
  clientId: string;
  scope: string;
  acr: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
}

export type SignInRepository = ReturnType<typeof createSignInRepository>;

const nullableNumber = (value: number | null): number | null => (value === null ? null : Number(value));
const parseAmr = (text: string): string[] => {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
};

function toAuthorizationCode(row: Selectable<AuthorizationCodesTable>): AuthorizationCode {
  return {
    codeHash: row.code_hash,
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    userId: row.user_id,
    codeChallenge: row.code_challenge,
    nonce: row.nonce,
    scope: row.scope,
    authTime: Number(row.auth_time),
    amr: parseAmr(row.amr),
    acr: row.acr,
    expiresAt: Number(row.expires_at),
    usedAt: nullableNumber(row.used_at),
  };
}

const consumeCodeQuery = precompiled(2, (db, nowMs, codeHash) =>
  db.updateTable('authorization_codes').set({ used_at: nowMs }).where('code_hash', '=', codeHash).where('used_at', 'is', null).returningAll(),
);

export function createSignInRepository(db: Kysely<Database>) {
  return {
    async insertSession(session: SignInSession): Promise<void> {
      await db
        .insertInto('signin_sessions')
        .values({
          id_hash: session.idHash,
          user_id: session.userId,
          auth_time: session.authTime,
          amr: JSON.stringify(session.amr),
          created_at: session.createdAt,
          last_seen_at: session.lastSeenAt,
          expires_at: session.expiresAt,
        })
        .execute();
    },

    async findSession(idHash: string): Promise<SignInSession | undefined> {
      const row = await db.selectFrom('signin_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return (
        row && {
          idHash: row.id_hash,
          userId: row.user_id,
          authTime: Number(row.auth_time),
          amr: parseAmr(row.amr),
          createdAt: Number(row.created_at),
          lastSeenAt: Number(row.last_seen_at),
          expiresAt: Number(row.expires_at),
        }
      );
    },

    async touchSession(idHash: string, lastSeenAt: number): Promise<void> {
      await db.updateTable('signin_sessions').set({ last_seen_at: lastSeenAt }).where('id_hash', '=', idHash).execute();
    },

    async deleteSession(idHash: string): Promise<void> {
      await db.deleteFrom('signin_sessions').where('id_hash', '=', idHash).execute();
    },

    async insertCode(code: Omit<AuthorizationCode, 'usedAt'>, createdAt: number): Promise<void> {
      await db
        .insertInto('authorization_codes')
        .values({
          code_hash: code.codeHash,
          client_id: code.clientId,
          redirect_uri: code.redirectUri,
          user_id: code.userId,
          code_challenge: code.codeChallenge,
          nonce: code.nonce,
          scope: code.scope,
          auth_time: code.authTime,
          amr: JSON.stringify(code.amr),
          acr: code.acr,
          created_at: createdAt,
          expires_at: code.expiresAt,
          used_at: null,
        })
        .execute();
    },

    /**
     * Marks the code used and returns it, in one statement (UPDATE … RETURNING): only to the one request that
     * did so first. Undefined when it is unknown or was used before; findCode tells which.
     */
    async consumeCode(codeHash: string, nowMs: number): Promise<AuthorizationCode | undefined> {
      const [row] = (await consumeCodeQuery(db, nowMs, codeHash)).rows;
      return row && toAuthorizationCode(row);
    },

    async findCode(codeHash: string): Promise<AuthorizationCode | undefined> {
      const row = await db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
      return row && toAuthorizationCode(row);
    },

    async insertRefreshToken(token: Omit<RefreshToken, 'usedAt' | 'revokedAt'>): Promise<void> {
      await db
        .insertInto('refresh_tokens')
        .values({
          token_hash: token.tokenHash,
          family_id: token.familyId,
          code_hash: token.codeHash,
          client_id: token.clientId,
          user_id: token.userId,
          scope: token.scope,
          auth_time: token.authTime,
          amr: JSON.stringify(token.amr),
          acr: token.acr,
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          used_at: null,
          revoked_at: null,
        })
        .execute();
    },

    /** Marks a live refresh token used; true only for the one request that did so first. */
    async useRefreshToken(tokenHash: string, nowMs: number): Promise<boolean> {
      const result = await db
        .updateTable('refresh_tokens')
        .set({ used_at: nowMs })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async findRefreshToken(tokenHash: string): Promise<RefreshToken | undefined> {
      const row = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return (
        row && {
          tokenHash: row.token_hash,
          familyId: row.family_id,
          codeHash: row.code_hash,
          clientId: row.client_id,
          userId: row.user_id,
          scope: row.scope,
          authTime: Number(row.auth_time),
          amr: parseAmr(row.amr),
          acr: row.acr,
          createdAt: Number(row.created_at),
          expiresAt: Number(row.expires_at),
          usedAt: nullableNumber(row.used_at),
          revokedAt: nullableNumber(row.revoked_at),
        }
      );
    },

    /** Revokes every live token of a family; returns how many. */
    async revokeFamily(familyId: string, nowMs: number): Promise<number> {
      const result = await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: nowMs })
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** Revokes every live token descended from an authorization code (the code was replayed). */
    async revokeIssuedFromCode(codeHash: string, nowMs: number): Promise<number> {
      const result = await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: nowMs })
        .where('code_hash', '=', codeHash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}
