// RS256 signing keys: created on first start, persisted in the store, rotatable.
// After a rotation the retired public key stays published until every token it signed has expired.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';

export const SIGNING_ALGORITHM = 'RS256';
type KeyObjectLike = Awaited<ReturnType<typeof importJWK>>;

export interface SigningKey {
  kid: string;
  privateKey: KeyObjectLike;
}

/** Create a key if the store has no active one (first start). Safe to race: both keys stay valid. */
export async function ensureSigningKey(store: Store, clock: Clock): Promise<void> {
  const active = await store.db.selectFrom('signing_keys').select('kid').where('retired_at', 'is', null).executeTakeFirst();
  if (!active) await insertNewKey(store, clock.now());
}

/** Make a new key the signer and retire the others; returns the new kid. */
export async function rotateSigningKey(store: Store, clock: Clock): Promise<string> {
  const now = clock.now();
  const { kid, row } = await createKeyRow(now);
  await store.db.transaction().execute(async (trx) => {
    await trx.updateTable('signing_keys').set({ retired_at: now }).where('retired_at', 'is', null).execute();
    await trx.insertInto('signing_keys').values(row).execute();
  });
  return kid;
}

async function insertNewKey(store: Store, now: number): Promise<void> {
  const { row } = await createKeyRow(now);
  await store.db.insertInto('signing_keys').values(row).execute();
}

async function createKeyRow(now: number) {
  const kid = randomUUID();
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { modulusLength: 2048, extractable: true });
  const base = { kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), ...base };
  const publicJwk = { ...(await exportJWK(publicKey)), ...base };
  return { kid, row: { kid, private_jwk: JSON.stringify(privateJwk), public_jwk: JSON.stringify(publicJwk), created_at: now, retired_at: null } };
}

/**
 * How long a retired key outlives its last token: the verifier's clock tolerance (30 s) plus a margin
 * for a token signed in the instant a rotation committed.
 */
export const RETIRED_KEY_GRACE_SECONDS = 60;

const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'n', 'e'] as const;

/** Keep only public RSA members, whatever the stored JSON holds. */
export function toPublicJwk(jwk: JWK): JWK {
  const out: JWK = {};
  for (const member of PUBLIC_MEMBERS) if (jwk[member] !== undefined) (out as Record<string, unknown>)[member] = jwk[member];
  return out;
}

/**
 * Keys this process trusts and signs with. Reloads from the store on an unknown kid (with a
 * cool-down) and periodically; before signing or publishing it asks the store for the active kid,
 * so a key rotated by the CLI or another copy is used and published at once (never a retired signer).
 */
export class KeyRing {
  private publicKeys = new Map<string, { jwk: JWK; key: KeyObjectLike; retiredAt: number | null }>();
  private signer: SigningKey | undefined;
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly maxTokenLifetimeSeconds: number,
    private readonly refreshIntervalMs = 30_000,
  ) {}

  async load(): Promise<void> {
    this.loading ??= this.reload().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async reload(): Promise<void> {
    const now = this.clock.now();
    const cutoff = now - this.retentionMs();
    const rows = await this.store.db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute();
    const next = new Map<string, { jwk: JWK; key: KeyObjectLike; retiredAt: number | null }>();
    let signer: SigningKey | undefined;
    for (const row of rows) {
      const retiredAt = row.retired_at === null ? null : Number(row.retired_at);
      if (retiredAt !== null && retiredAt < cutoff) continue;
      const jwk = toPublicJwk(JSON.parse(row.public_jwk) as JWK);
      const cached = this.publicKeys.get(row.kid);
      next.set(row.kid, { jwk, key: cached?.key ?? (await importJWK(jwk, SIGNING_ALGORITHM)), retiredAt });
      if (!signer && retiredAt === null) {
        const reuse = this.signer?.kid === row.kid ? this.signer : undefined;
        signer = reuse ?? { kid: row.kid, privateKey: await importJWK(JSON.parse(row.private_jwk) as JWK, SIGNING_ALGORITHM) };
      }
    }
    this.publicKeys = next;
    this.signer = signer;
    this.loadedAt = this.clock.now();
  }

  private async refreshIfStale(): Promise<void> {
    if (this.clock.now() - this.loadedAt >= this.refreshIntervalMs) await this.load();
  }

  /** One indexed read of a tiny table; not on the verification hot path (only signing and JWKS). */
  private async syncActiveKey(): Promise<void> {
    const active = await this.store.db
      .selectFrom('signing_keys')
      .select('kid')
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('kid', 'desc')
      .executeTakeFirst();
    if (active?.kid !== this.signer?.kid) await this.load();
    else await this.refreshIfStale();
  }

  private retentionMs(): number {
    return (this.maxTokenLifetimeSeconds + RETIRED_KEY_GRACE_SECONDS) * 1000;
  }

  async signingKey(): Promise<SigningKey> {
    await this.syncActiveKey();
    if (!this.signer) {
      await this.load();
      if (!this.signer) throw new Error('No active signing key in the store');
    }
    return this.signer;
  }

  /**
   * Verification key for a kid; an unknown kid reloads from the store, so a key rotated by the CLI or
   * another copy is trusted at once. No cool-down: concurrent misses share one reload of a tiny table,
   * and a client sending made-up kids is stopped by the failed-authentication limit per address.
   */
  async verificationKey(kid: string): Promise<KeyObjectLike | undefined> {
    const found = this.publicKeys.get(kid);
    if (found) return this.isExpiredRetiree(found.retiredAt) ? undefined : found.key;
    await this.load();
    return this.publicKeys.get(kid)?.key;
  }

  private isExpiredRetiree(retiredAt: number | null): boolean {
    return retiredAt !== null && retiredAt < this.clock.now() - this.retentionMs();
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    await this.syncActiveKey();
    return { keys: [...this.publicKeys.values()].filter((k) => !this.isExpiredRetiree(k.retiredAt)).map((k) => k.jwk) };
  }
}
