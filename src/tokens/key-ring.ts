// The keys one process trusts and signs with, kept in step with the store through its key generation.
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import type { Clock } from '../clock.js';
import { openSecret } from '../secrets/sealed-box.js';
import type { Store } from '../storage/database.js';
import { retiredKeyRetentionMs, SIGNING_ALGORITHM, type SigningKeyAlgorithm, toPublicJwk } from './signing-keys.js';

type KeyObjectLike = Awaited<ReturnType<typeof importJWK>>;

export interface SigningKey {
  kid: string;
  alg: SigningKeyAlgorithm;
  /** A node:crypto KeyObject, made once per key: jws-signer.ts signs with it synchronously. */
  privateKey: KeyObject;
}

interface TrustedKey {
  alg: SigningKeyAlgorithm;
  jwk: JWK;
  key: KeyObjectLike;
  /** The same public key as a node:crypto KeyObject: access tokens are verified with it synchronously. */
  publicKey: KeyObject;
  retiredAt: number | null;
}

/**
 * How often a running process reads the key generation on its own, so that a revoked key stops
 * verifying (even tokens it has already verified and cached) within this long on every copy.
 * `keys rotate --revoke-previous` waits for twice this before it reports success.
 */
export const KEY_WATCH_INTERVAL_MS = 1_000;

/**
 * Keys this process trusts and signs with. Before signing, publishing the JWKS or looking up an unknown
 * kid it reads the store's key generation (one single-row read) and reloads the keys only when that
 * changed: a key rotated by the CLI or another copy is used and trusted on the next request, while
 * made-up kids cost no reload. watch() reads the generation every second in the background, so that a
 * revocation reaches keys this process already trusts.
 */
export class KeyRing {
  private publicKeys = new Map<string, TrustedKey>();
  /** The active key of each algorithm. */
  private signers = new Map<SigningKeyAlgorithm, SigningKey>();
  /** The generation the keys in memory were read at (-1 before the first load). */
  private generation = -1;
  private loading: Promise<void> | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  private watching: Promise<void> | undefined;
  /** Bumped whenever a key this ring trusted is gone: caches of verified tokens must then be dropped. */
  trustEpoch = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly masterKey: Buffer,
    private readonly maxTokenLifetimeSeconds: number,
  ) {}

  /** Reads every key from the store; concurrent callers share one read. */
  async load(): Promise<void> {
    this.loading ??= this.reload().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async reload(): Promise<void> {
    // The generation first: a change committed meanwhile leaves it behind the rows, and is read again next time.
    const generation = await this.store.signingKeys.readGeneration();
    const stored = await this.store.signingKeys.list();
    const next = new Map<string, TrustedKey>();
    const signers = new Map<SigningKeyAlgorithm, SigningKey>();
    // Newest first: the newest active key of each algorithm signs.
    for (const { kid, alg, publicJwk, privateJwk, retiredAt } of stored) {
      if (this.isExpiredRetiree(retiredAt)) continue;
      const jwk = toPublicJwk(JSON.parse(publicJwk) as JWK);
      const cached = this.publicKeys.get(kid);
      next.set(kid, {
        alg,
        jwk,
        key: cached?.key ?? (await importJWK(jwk, alg)),
        publicKey: cached?.publicKey ?? createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }),
        retiredAt,
      });
      if (!signers.has(alg) && retiredAt === null) {
        const current = this.signers.get(alg);
        signers.set(alg, current?.kid === kid ? current : await this.openSigner(kid, alg, privateJwk));
      }
    }
    if ([...this.publicKeys.keys()].some((kid) => !next.has(kid))) this.trustEpoch++;
    this.publicKeys = next;
    this.signers = signers;
    this.generation = generation;
  }

  private async openSigner(kid: string, alg: SigningKeyAlgorithm, sealed: string): Promise<SigningKey> {
    let jwk: JWK;
    try {
      jwk = JSON.parse(Buffer.from(openSecret(this.masterKey, sealed, kid)).toString('utf8')) as JWK;
    } catch {
      throw new Error(`signing key ${kid} cannot be opened with this master key (is --master-key-file the key this store's secrets were sealed with?)`);
    }
    return { kid, alg, privateKey: createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }) };
  }

  /** One single-row read; a reload only when the store's generation is not the one in memory. */
  async sync(): Promise<void> {
    const seen = await this.store.signingKeys.readGeneration();
    // Twice at most: a reload already under way may have read the generation before `seen` was committed.
    for (let i = 0; i < 2 && this.generation !== seen; i++) await this.load();
  }

  /** Reads the generation every `intervalMs` until close(); a failed read is retried on the next tick. */
  watch(intervalMs = KEY_WATCH_INTERVAL_MS): void {
    this.watchTimer ??= setInterval(() => {
      // A store outage shows on the requests that need the store; the watcher just tries again.
      this.watching ??= this.sync()
        .catch(() => undefined)
        .finally(() => (this.watching = undefined));
    }, intervalMs).unref();
  }

  /** Stops watching and waits for a read under way, so that the store can be closed after. */
  async close(): Promise<void> {
    clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    await this.watching;
  }

  private isExpiredRetiree(retiredAt: number | null): boolean {
    return retiredAt !== null && retiredAt < this.clock.now() - retiredKeyRetentionMs(this.maxTokenLifetimeSeconds);
  }

  /** The active key of an algorithm: RS256 (the default) for access tokens, either for an ID token. */
  async signingKey(alg: SigningKeyAlgorithm = SIGNING_ALGORITHM): Promise<SigningKey> {
    await this.sync();
    return this.signingKeyAsSynced(alg);
  }

  /** The active key of `alg` as of the last sync, without reading the store: for the second token of one answer, right after signingKey(). */
  signingKeyAsSynced(alg: SigningKeyAlgorithm): SigningKey {
    const signer = this.signers.get(alg);
    if (!signer) throw new Error(`No active ${alg} signing key in the store`);
    return signer;
  }

  /** A trusted, unexpired key for a kid; an unknown kid costs one generation read, and a reload only if the keys changed. */
  private async trustedKey(kid: string): Promise<TrustedKey | undefined> {
    if (!this.publicKeys.has(kid)) await this.sync();
    const found = this.publicKeys.get(kid);
    return found && !this.isExpiredRetiree(found.retiredAt) ? found : undefined;
  }

  /**
   * The RSA key that verifies an access token with this kid. EC keys sign ID tokens only: an EC kid is
   * unknown here, so that nothing an EC key signed can ever pass as an access token.
   */
  async verificationKey(kid: string): Promise<KeyObjectLike | undefined> {
    const found = await this.trustedKey(kid);
    return found?.alg === SIGNING_ALGORITHM ? found.key : undefined;
  }

  /** verificationKey() as a node:crypto KeyObject, for the synchronous crypto.verify of jws-verifier.ts. */
  async accessTokenKey(kid: string): Promise<KeyObject | undefined> {
    const found = await this.trustedKey(kid);
    return found?.alg === SIGNING_ALGORITHM ? found.publicKey : undefined;
  }

  /** The key and algorithm that verify an ID token we signed (logout's id_token_hint): RSA or EC. */
  async idTokenVerificationKey(kid: string): Promise<{ key: KeyObjectLike; alg: SigningKeyAlgorithm } | undefined> {
    const found = await this.trustedKey(kid);
    return found && { key: found.key, alg: found.alg };
  }

  /** token-public-key's keys: the RSA keys only, the ones that verify access tokens (CSP's shape). */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: await this.publishedKeys(['RS256']) };
  }

  /** The OIDC JWK Set (discovery's jwks_uri): RSA keys first, then EC keys. */
  async oidcJwks(): Promise<{ keys: JWK[] }> {
    return { keys: await this.publishedKeys(['RS256', 'ES256']) };
  }

  private async publishedKeys(algorithms: SigningKeyAlgorithm[]): Promise<JWK[]> {
    await this.sync();
    const live = [...this.publicKeys.values()].filter((k) => !this.isExpiredRetiree(k.retiredAt));
    return algorithms.flatMap((alg) => live.filter((k) => k.alg === alg).map((k) => k.jwk));
  }
}
