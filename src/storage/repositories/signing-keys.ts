// The signing keys repository (signing_keys, signing_keys_generation): the keys, and the change counter every copy watches.
import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { precompiled } from '../precompiled.js';

/** RS256 keys sign access tokens (and RS256 ID tokens); ES256 keys sign ES256 ID tokens and nothing else. */
export type SigningKeyAlgorithm = 'RS256' | 'ES256';

export interface SigningKeyRecord {
  kid: string;
  alg: SigningKeyAlgorithm;
  /** Private JWK as JSON, sealed with the master key; empty once the key is retired. */
  privateJwk: string;
  /** Public JWK as JSON. */
  publicJwk: string;
  createdAt: number;
  /** When a newer key took over; null for the active key. */
  retiredAt: number | null;
}

export type SigningKeysRepository = ReturnType<typeof createSigningKeysRepository>;

/** Read before every token is signed: built once (precompiled.ts). */
const readGenerationQuery = precompiled(1, (db, id) => db.selectFrom('signing_keys_generation').select('generation').where('id', '=', id));

export function createSigningKeysRepository(db: Kysely<Database>) {
  return {
    /** Every key, newest first. */
    async list(): Promise<SigningKeyRecord[]> {
      const rows = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
      return rows.map((r) => ({
        kid: r.kid,
        // Only this code writes the column, and only these two values.
        alg: r.alg === 'ES256' ? 'ES256' : 'RS256',
        privateJwk: r.private_jwk,
        publicJwk: r.public_jwk,
        createdAt: Number(r.created_at),
        retiredAt: r.retired_at === null ? null : Number(r.retired_at),
      }));
    },

    /** Whether a key of this algorithm is active. */
    async hasActive(alg: SigningKeyAlgorithm): Promise<boolean> {
      return (await db.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).where('alg', '=', alg).executeTakeFirst()) !== undefined;
    },

    async insert(key: SigningKeyRecord): Promise<void> {
      await db
        .insertInto('signing_keys')
        .values({ kid: key.kid, alg: key.alg, private_jwk: key.privateJwk, public_jwk: key.publicJwk, created_at: key.createdAt, retired_at: key.retiredAt })
        .execute();
    },

    async wipePrivateHalves(kids: string[]): Promise<void> {
      await db.updateTable('signing_keys').set({ private_jwk: '' }).where('kid', 'in', kids).execute();
    },

    /** Replaces a private half, unless another process changed it meanwhile. */
    async replacePrivateHalf(kid: string, from: string, to: string): Promise<void> {
      await db.updateTable('signing_keys').set({ private_jwk: to }).where('kid', '=', kid).where('private_jwk', '=', from).execute();
    },

    async delete(kids: string[]): Promise<void> {
      await db.deleteFrom('signing_keys').where('kid', 'in', kids).execute();
    },

    /** Deletes every key; returns their kids. */
    async deleteAll(): Promise<string[]> {
      return (await db.deleteFrom('signing_keys').returning('kid').execute()).map((r) => r.kid);
    },

    /** Wipes every private half and retires every key not retired yet, as of `nowMs`. */
    async retireAll(nowMs: number): Promise<void> {
      await db
        .updateTable('signing_keys')
        .set({ private_jwk: '', retired_at: sql<number>`coalesce(retired_at, ${nowMs})` })
        .execute();
    },

    /** The store's change counter for signing keys: one single-row read, compared by every KeyRing. */
    async readGeneration(): Promise<number> {
      const [row] = (await readGenerationQuery(db, 1)).rows;
      return Number(row?.generation ?? 0);
    },

    /** In the transaction of every change to signing_keys, so that a copy that sees the new count sees the change. */
    async bumpGeneration(): Promise<void> {
      await db
        .updateTable('signing_keys_generation')
        .set((eb) => ({ generation: eb('generation', '+', 1) }))
        .where('id', '=', 1)
        .execute();
    },
  };
}
