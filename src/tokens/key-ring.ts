// The keys one process trusts and signs with, kept in step with the store through its key generation.
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import type { Clock } from '../clock.js';
import { openSecret } from '../secrets/sealed-box.js';
import type { Store } from '../storage/database.js';
import { retiredKeyRetentionMs, SIGNING_ALGORITHM, toPublicJwk } from './signing-keys.js';

type KeyObjectLike = Awaited<ReturnType<typeof importJWK>>;

export interface SigningKey {
  kid: string;
  /** A node:crypto KeyObject, made once per key: jws-signer.ts signs with it synchronously. */
  privateKey: KeyObject;
}

interface TrustedKey {
  jwk: JWK;
  key: KeyObjectLike;
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
  private signer: SigningKey | undefined;
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
    let signer: SigningKey | undefined;
    for (const { kid, publicJwk, privateJwk, retiredAt } of stored) {
      if (this.isExpiredRetiree(retiredAt)) continue;
      const jwk = toPublicJwk(JSON.parse(publicJwk) as JWK);
      const cached = this.publicKeys.get(kid);
      next.set(kid, { jwk, key: cached?.key ?? (await importJWK(jwk, SIGNING_ALGORITHM)), retiredAt });
      if (!signer && retiredAt === null) signer = this.signer?.kid === kid ? this.signer : await this.openSigner(kid, privateJwk);
    }
    if ([...this.publicKeys.keys()].some((kid) => !next.has(kid))) this.trustEpoch++;
    this.publicKeys = next;
    this.signer = signer;
    this.generation = generation;
  }

  private async openSigner(kid: string, sealed: string): Promise<SigningKey> {
    let jwk: JWK;
    try {
      jwk = JSON.parse(Buffer.from(openSecret(this.masterKey, sealed, kid)).toString('utf8')) as JWK;
    } catch {
      throw new Error(`signing key ${kid} cannot be opened with this master key (is --master-key-file the key this store's secrets were sealed with?)`);
    }
    return { kid, privateKey: createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }) };
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

  async signingKey(): Promise<SigningKey> {
    await this.sync();
    if (!this.signer) throw new Error('No active signing key in the store');
    return this.signer;
  }

  /** Verification key for a kid; an unknown kid costs one generation read, and a reload only if the keys changed. */
  async verificationKey(kid: string): Promise<KeyObjectLike | undefined> {
    if (!this.publicKeys.has(kid)) await this.sync();
    const found = this.publicKeys.get(kid);
    return found && !this.isExpiredRetiree(found.retiredAt) ? found.key : undefined;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    await this.sync();
    return { keys: [...this.publicKeys.values()].filter((k) => !this.isExpiredRetiree(k.retiredAt)).map((k) => k.jwk) };
  }
}
