// Signing keys in the store: created sealed under the master key, rotated, revoked. One active RSA key (RS256:
// access tokens, RS256 ID tokens) and one active EC P-256 key (ES256: ID tokens of clients that ask for it),
// rotated together. Only an active key keeps a private half; a retired key keeps its public half until
// every token it signed has expired.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Clock } from '../clock.js';
import { MasterKeyError } from '../secrets/master-key-file.js';
import { isSealed, openSecret, sealSecret } from '../secrets/sealed-box.js';
import type { Store } from '../storage/database.js';
import type { Repositories } from '../storage/repositories/index.js';
import type { SigningKeyAlgorithm, SigningKeyRecord } from '../storage/repositories/signing-keys.js';

export type { SigningKeyAlgorithm };

/** The access tokens' algorithm: CSP's clients verify them with token-public-key, which is RSA. */
export const SIGNING_ALGORITHM = 'RS256';
/** Every algorithm the ring holds an active key of; an ID token may be signed with either. */
export const KEY_ALGORITHMS: readonly SigningKeyAlgorithm[] = ['RS256', 'ES256'];

/**
 * How long a retired key outlives its last token: the verifier's clock tolerance (30 s) plus a margin
 * for a token signed in the instant a rotation committed.
 */
export const RETIRED_KEY_GRACE_SECONDS = 60;

/** How long after its retirement a key still verifies: the longest token lifetime plus the grace above. */
export function retiredKeyRetentionMs(maxTokenLifetimeSeconds: number): number {
  return (maxTokenLifetimeSeconds + RETIRED_KEY_GRACE_SECONDS) * 1000;
}

const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y'] as const;

/** Keep only public RSA and EC members, whatever the stored JSON holds (never `d` or the RSA primes). */
export function toPublicJwk(jwk: JWK): JWK {
  const out: JWK = {};
  for (const member of PUBLIC_MEMBERS) if (jwk[member] !== undefined) (out as Record<string, unknown>)[member] = jwk[member];
  return out;
}

/** The private JWK sealed with the master key, bound to its kid (the AAD): a row cannot lend its key to another. */
function sealPrivateJwk(masterKey: Buffer, kid: string, jwkJson: string): string {
  return sealSecret(masterKey, Buffer.from(jwkJson, 'utf8'), kid);
}

/** RSA-2048 for RS256, P-256 for ES256 (jose picks the curve from the algorithm). */
async function createKey(masterKey: Buffer, now: number, alg: SigningKeyAlgorithm): Promise<SigningKeyRecord> {
  const kid = randomUUID();
  const { privateKey, publicKey } = await generateKeyPair(alg, { modulusLength: 2048, extractable: true });
  const base = { kid, alg, use: 'sig' };
  const privateJwk = JSON.stringify({ ...(await exportJWK(privateKey)), ...base });
  const publicJwk = JSON.stringify({ ...(await exportJWK(publicKey)), ...base });
  return { kid, alg, privateJwk: sealPrivateJwk(masterKey, kid, privateJwk), publicJwk, createdAt: now, retiredAt: null };
}

/** Adds a key and bumps the key generation, in the caller's transaction: a copy that sees the new count sees the key. */
async function insertKey(tx: Repositories, key: SigningKeyRecord): Promise<void> {
  await tx.signingKeys.insert(key);
  await tx.signingKeys.bumpGeneration();
}

/**
 * At start (serve, each worker, the cluster primary), with the master key: seal a plaintext private key
 * left by an earlier version, wipe the private half of retired keys, drop keys whose tokens have all
 * expired, and create a key if none is active. Safe to race with another process doing the same: each
 * update is conditional, and two keys created at once both stay valid.
 */
export async function prepareSigningKeys(store: Store, clock: Clock, masterKey: Buffer, retentionMs: number): Promise<void> {
  const now = clock.now();
  const keys = await store.signingKeys.list();
  const expired = keys.filter((k) => k.retiredAt !== null && k.retiredAt < now - retentionMs).map((k) => k.kid);
  const retiredWithPrivateHalf = keys.filter((k) => k.retiredAt !== null && k.privateJwk !== '' && !expired.includes(k.kid)).map((k) => k.kid);
  const plaintext = keys.filter((k) => k.retiredAt === null && !isSealed(k.privateJwk));
  if (expired.length > 0 || retiredWithPrivateHalf.length > 0 || plaintext.length > 0) {
    await store.eraseFreedPages(() =>
      store.transaction(async (tx) => {
        if (retiredWithPrivateHalf.length > 0) await tx.signingKeys.wipePrivateHalves(retiredWithPrivateHalf);
        for (const key of plaintext) await tx.signingKeys.replacePrivateHalf(key.kid, key.privateJwk, sealPrivateJwk(masterKey, key.kid, key.privateJwk));
        if (expired.length > 0) {
          await tx.signingKeys.delete(expired);
          await tx.signingKeys.bumpGeneration();
        }
      }),
    );
  }
  // One key per algorithm lacking an active one: a store from before ES256 gets its first EC key here.
  for (const alg of KEY_ALGORITHMS) {
    if (await store.signingKeys.hasActive(alg)) continue;
    const key = await createKey(masterKey, now, alg);
    await store.transaction((tx) => insertKey(tx, key));
  }
}

/**
 * A new active key of each algorithm (one generation). Without `revokePrevious`, every earlier key is retired (its private half wiped, its
 * public half kept until its tokens expire). With it (a compromised key), every earlier key is deleted:
 * its tokens stop verifying on every copy as soon as that copy sees the new generation.
 */
async function replaceSigningKeys(
  store: Store,
  clock: Clock,
  masterKey: Buffer,
  revokePrevious: boolean,
): Promise<{ kid: string; ecKid: string; revoked: string[] }> {
  await checkMasterKeyOpensActiveKey(store, masterKey);
  const now = clock.now();
  // Generated before the transaction: the write lock is not held while an RSA key is made.
  const [rsa, ec] = await Promise.all([createKey(masterKey, now, 'RS256'), createKey(masterKey, now, 'ES256')]);
  return store.eraseFreedPages(() =>
    store.transaction(async (tx) => {
      let revoked: string[] = [];
      if (revokePrevious) revoked = await tx.signingKeys.deleteAll();
      else await tx.signingKeys.retireAll(now);
      await tx.signingKeys.insert(rsa);
      await tx.signingKeys.insert(ec);
      await tx.signingKeys.bumpGeneration();
      return { kid: rsa.kid, ecKid: ec.kid, revoked };
    }),
  );
}

/** A key sealed under another master key than the servers' would leave every server unable to sign. */
async function checkMasterKeyOpensActiveKey(store: Store, masterKey: Buffer): Promise<void> {
  const active = (await store.signingKeys.list()).filter((k) => k.retiredAt === null);
  for (const key of active.filter((k) => isSealed(k.privateJwk))) {
    try {
      openSecret(masterKey, key.privateJwk, key.kid);
    } catch {
      throw new MasterKeyError(`this master key does not open the store's signing key ${key.kid}: is --master-key-file the key the servers use?`);
    }
  }
}

/** Make new keys the signers and retire the others; returns the new RSA kid (the access tokens' key). */
export async function rotateSigningKey(store: Store, clock: Clock, masterKey: Buffer): Promise<string> {
  return (await rotateSigningKeys(store, clock, masterKey)).kid;
}

/** Make a new RSA and a new EC key the signers and retire the others; returns both kids. */
export async function rotateSigningKeys(store: Store, clock: Clock, masterKey: Buffer): Promise<{ kid: string; ecKid: string }> {
  const { kid, ecKid } = await replaceSigningKeys(store, clock, masterKey, false);
  return { kid, ecKid };
}

/** Make a new key the signer and delete every other one (compromise): returns the new kid and the revoked ones. */
export function revokeSigningKeys(store: Store, clock: Clock, masterKey: Buffer): Promise<{ kid: string; ecKid: string; revoked: string[] }> {
  return replaceSigningKeys(store, clock, masterKey, true);
}
