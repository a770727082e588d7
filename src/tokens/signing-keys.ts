// RS256 signing keys in the store: created sealed under the master key, rotated, revoked. Only the active
// key keeps a private half; a retired key keeps its public half until every token it signed has expired.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.js';
import { MasterKeyError } from '../secrets/master-key-file.js';
import { isSealed, openSecret, sealSecret } from '../secrets/sealed-box.js';
import type { Store } from '../storage/database.js';
import type { Database } from '../storage/schema.js';

export const SIGNING_ALGORITHM = 'RS256';

/**
 * How long a retired key outlives its last token: the verifier's clock tolerance (30 s) plus a margin
 * for a token signed in the instant a rotation committed.
 */
export const RETIRED_KEY_GRACE_SECONDS = 60;

/** How long after its retirement a key still verifies: the longest token lifetime plus the grace above. */
export function retiredKeyRetentionMs(maxTokenLifetimeSeconds: number): number {
  return (maxTokenLifetimeSeconds + RETIRED_KEY_GRACE_SECONDS) * 1000;
}

const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'n', 'e'] as const;

/** Keep only public RSA members, whatever the stored JSON holds. */
export function toPublicJwk(jwk: JWK): JWK {
  const out: JWK = {};
  for (const member of PUBLIC_MEMBERS) if (jwk[member] !== undefined) (out as Record<string, unknown>)[member] = jwk[member];
  return out;
}

/** The private JWK sealed with the master key, bound to its kid (the AAD): a row cannot lend its key to another. */
function sealPrivateJwk(masterKey: Buffer, kid: string, jwkJson: string): string {
  return sealSecret(masterKey, Buffer.from(jwkJson, 'utf8'), kid);
}

async function createKeyRow(masterKey: Buffer, now: number) {
  const kid = randomUUID();
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048, extractable: true });
  const base = { kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  const privateJwk = JSON.stringify({ ...(await exportJWK(privateKey)), ...base });
  const publicJwk = JSON.stringify({ ...(await exportJWK(publicKey)), ...base });
  return { kid, row: { kid, private_jwk: sealPrivateJwk(masterKey, kid, privateJwk), public_jwk: publicJwk, created_at: now, retired_at: null } };
}

/** The store's change counter for signing keys: one single-row read, compared by every KeyRing. */
export async function readKeyGeneration(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('signing_keys_generation').select('generation').where('id', '=', 1).executeTakeFirst();
  return Number(row?.generation ?? 0);
}

/** In the transaction of every change to signing_keys, so that a copy that sees the new count sees the change. */
async function bumpKeyGeneration(db: Kysely<Database>): Promise<void> {
  await db.updateTable('signing_keys_generation').set((eb) => ({ generation: eb('generation', '+', 1) })).where('id', '=', 1).execute();
}

/**
 * SQLite keeps the bytes of an updated or deleted row in the page's free space and older page images in
 * the WAL: zero freed space while `work` runs, then fold the WAL into the file and truncate it, so that
 * a copy of the file holds no private half that the store no longer has. Best effort for the WAL (a
 * reader in another process may hold it). PostgreSQL dumps hold only live rows.
 */
async function scrubbingFreedSpace<T>(store: Store, work: () => Promise<T>): Promise<T> {
  const sqlite = store.sqlite;
  if (!sqlite) return work();
  const previous = Number(sqlite.pragma('secure_delete', { simple: true }));
  sqlite.pragma('secure_delete = ON');
  try {
    return await work();
  } finally {
    sqlite.pragma(`secure_delete = ${previous}`);
    try {
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Another transaction of this process holds the connection: SQLite folds the WAL in on a later checkpoint.
    }
  }
}

/**
 * At start (serve, each worker, the cluster primary), with the master key: seal a plaintext private key
 * left by an earlier version, wipe the private half of retired keys, drop keys whose tokens have all
 * expired, and create a key if none is active. Safe to race with another process doing the same: each
 * update is conditional, and two keys created at once both stay valid.
 */
export async function prepareSigningKeys(store: Store, clock: Clock, masterKey: Buffer, retentionMs: number): Promise<void> {
  const now = clock.now();
  const rows = await store.db.selectFrom('signing_keys').select(['kid', 'private_jwk', 'retired_at']).execute();
  const expired = rows.filter((r) => r.retired_at !== null && Number(r.retired_at) < now - retentionMs).map((r) => r.kid);
  const retiredWithPrivateHalf = rows.filter((r) => r.retired_at !== null && r.private_jwk !== '' && !expired.includes(r.kid)).map((r) => r.kid);
  const plaintext = rows.filter((r) => r.retired_at === null && !isSealed(r.private_jwk));
  if (expired.length > 0 || retiredWithPrivateHalf.length > 0 || plaintext.length > 0) {
    await scrubbingFreedSpace(store, () =>
      store.db.transaction().execute(async (trx) => {
        if (retiredWithPrivateHalf.length > 0) await trx.updateTable('signing_keys').set({ private_jwk: '' }).where('kid', 'in', retiredWithPrivateHalf).execute();
        for (const row of plaintext) {
          const sealed = sealPrivateJwk(masterKey, row.kid, row.private_jwk);
          await trx.updateTable('signing_keys').set({ private_jwk: sealed }).where('kid', '=', row.kid).where('private_jwk', '=', row.private_jwk).execute();
        }
        if (expired.length > 0) {
          await trx.deleteFrom('signing_keys').where('kid', 'in', expired).execute();
          await bumpKeyGeneration(trx);
        }
      }),
    );
  }
  const active = await store.db.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).executeTakeFirst();
  if (active) return;
  const { row } = await createKeyRow(masterKey, now);
  await store.db.transaction().execute(async (trx) => {
    await trx.insertInto('signing_keys').values(row).execute();
    await bumpKeyGeneration(trx);
  });
}

/**
 * A new active key. Without `revokePrevious`, every earlier key is retired (its private half wiped, its
 * public half kept until its tokens expire). With it (a compromised key), every earlier key is deleted:
 * its tokens stop verifying on every copy as soon as that copy sees the new generation.
 */
async function replaceSigningKeys(store: Store, clock: Clock, masterKey: Buffer, revokePrevious: boolean): Promise<{ kid: string; revoked: string[] }> {
  await checkMasterKeyOpensActiveKey(store, masterKey);
  const now = clock.now();
  // Generated before the transaction: the write lock is not held while an RSA key is made.
  const { kid, row } = await createKeyRow(masterKey, now);
  return scrubbingFreedSpace(store, () =>
    store.db.transaction().execute(async (trx) => {
      let revoked: string[] = [];
      if (revokePrevious) revoked = (await trx.deleteFrom('signing_keys').returning('kid').execute()).map((r) => r.kid);
      else await trx.updateTable('signing_keys').set({ private_jwk: '', retired_at: sql<number>`coalesce(retired_at, ${now})` }).execute();
      await trx.insertInto('signing_keys').values(row).execute();
      await bumpKeyGeneration(trx);
      return { kid, revoked };
    }),
  );
}

/** A key sealed under another master key than the servers' would leave every server unable to sign. */
async function checkMasterKeyOpensActiveKey(store: Store, masterKey: Buffer): Promise<void> {
  const active = await store.db.selectFrom('signing_keys').select(['kid', 'private_jwk']).where('retired_at', 'is', null).execute();
  for (const row of active.filter((r) => isSealed(r.private_jwk))) {
    try {
      openSecret(masterKey, row.private_jwk, row.kid);
    } catch {
      throw new MasterKeyError(`this master key does not open the store's signing key ${row.kid}: is --master-key-file the key the servers use?`);
    }
  }
}

/** Make a new key the signer and retire the others; returns the new kid. */
export async function rotateSigningKey(store: Store, clock: Clock, masterKey: Buffer): Promise<string> {
  return (await replaceSigningKeys(store, clock, masterKey, false)).kid;
}

/** Make a new key the signer and delete every other one (compromise): returns the new kid and the revoked ones. */
export function revokeSigningKeys(store: Store, clock: Clock, masterKey: Buffer): Promise<{ kid: string; revoked: string[] }> {
  return replaceSigningKeys(store, clock, masterKey, true);
}
