// Fills a fresh SQLite store for `npm run bench`: N users inserted in bulk, and access tokens minted
// with the project's own issuer and key ring, so the server started on that file trusts them.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { systemClock } from '../src/clock.js';
import { DEFAULTS } from '../src/config.js';
import { DEFAULT_DOMAIN, DEFAULT_ORG, userSubject } from '../src/principals/users.js';
import { openStore, type Store } from '../src/storage/database.js';
import { AccessTokenIssuer, USER_PERMS } from '../src/tokens/access-tokens.js';
import { KeyRing } from '../src/tokens/key-ring.js';
import { prepareSigningKeys, retiredKeyRetentionMs } from '../src/tokens/signing-keys.js';
import { sqliteOf } from '../src/storage/internal.js';
import { seedAuditHistory } from './seed-audit.js';
import { type SeededExchange, seedExchangePrincipals } from './seed-exchange.js';

export interface SeedOptions {
  file: string;
  users: number;
  tokens: number;
  /** The key the server will be started with (--master-key-file): it seals the signing key made here. */
  masterKey: Buffer;
  /** Progress lines go here. */
  log(line: string): void;
  /** Also API tokens for this many users with MFA off and with TOTP on (other users than the token holders). */
  exchange?: { mfaOff: number; totp: number };
  /** Also this many audit events of the first token holder (the mixed-load phase queries them). */
  auditEvents?: number;
}

export interface SeededUser {
  username: string;
  accessToken: string;
}

const ROWS_PER_TRANSACTION = 50_000;
const MINT_CONCURRENCY = 16;

const fmtCount = (n: number) => n.toLocaleString('en');

export const benchUsername = (i: number): string => `bench-user-${String(i).padStart(7, '0')}`;

/**
 * Access tokens for the holders, minted with the store's own key ring and the default issuer (the key
 * is created and persisted here when the store has none), so the server started on it trusts them.
 */
export async function mintAccessTokens(store: Store, holders: { id: string; username: string }[], masterKey: Buffer): Promise<SeededUser[]> {
  await prepareSigningKeys(store, systemClock, masterKey, retiredKeyRetentionMs(DEFAULTS.accessTokenTtlSeconds));
  const keys = new KeyRing(store, systemClock, masterKey, DEFAULTS.accessTokenTtlSeconds);
  await keys.load();
  const issuer = new AccessTokenIssuer(keys, systemClock, DEFAULTS.issuer, DEFAULTS.accessTokenTtlSeconds);
  const seeded: SeededUser[] = new Array(holders.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < holders.length; i = next++) {
      const holder = holders[i] as { id: string; username: string };
      const accessToken = await issuer.mint({
        sub: userSubject({ domain: DEFAULT_DOMAIN, id: holder.id }),
        username: holder.username,
        domain: DEFAULT_DOMAIN,
        orgId: DEFAULT_ORG,
        perms: USER_PERMS,
        azp: 'principal-mfa-api-token',
      });
      seeded[i] = { username: holder.username, accessToken };
    }
  };
  await Promise.all(Array.from({ length: MINT_CONCURRENCY }, worker));
  return seeded;
}

export interface SeededStore {
  /** Access tokens, one per holder; the first holder also owns the seeded audit history. */
  holders: SeededUser[];
  exchange: SeededExchange;
}

export async function seedStore(options: SeedOptions): Promise<SeededStore> {
  const { file, users, tokens, log, masterKey, exchange = { mfaOff: 0, totp: 0 } } = options;
  if (tokens > users) throw new Error(`--tokens (${tokens}) cannot exceed --users (${users})`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const store = await openStore(`sqlite:${file}`); // runs the real migrations
  try {
    const sqlite = sqliteOf(store)!;
    // A throw-away file: durability during the bulk load buys nothing.
    sqlite.pragma('synchronous = OFF');
    // The raw handle bypasses the store's background checkpointer: let SQLite checkpoint as it does by default.
    sqlite.pragma('wal_autocheckpoint = 1000');
    const insert = sqlite.prepare('insert into users (id, username, domain, org_id, password_hash, enabled, created_at) values (?, ?, ?, ?, NULL, 1, ?)');
    // Spread the token holders over the whole table so lookups do not all hit one hot page range.
    const stride = Math.floor(users / tokens);
    const holders: { id: string; username: string }[] = [];
    // Exchange principals sit between the token holders (half-way and at the quarters of each stride).
    const exchangeHolders = { mfaOff: [] as { id: string }[], totp: [] as { id: string }[] };
    if (stride < 4 && exchange.mfaOff + exchange.totp > 0) throw new Error('exchange principals need at least 4 users per token');
    const insertMany = sqlite.transaction((from: number, to: number, now: number) => {
      for (let i = from; i < to; i++) {
        const id = randomUUID();
        const username = benchUsername(i);
        insert.run(id, username, DEFAULT_DOMAIN, DEFAULT_ORG, now);
        const offset = i % stride;
        if (offset === 0 && holders.length < tokens) holders.push({ id, username });
        else if (offset === stride >> 1 && exchangeHolders.mfaOff.length < exchange.mfaOff) exchangeHolders.mfaOff.push({ id });
        else if ((offset === stride >> 2 || offset === (3 * stride) >> 2) && exchangeHolders.totp.length < exchange.totp) exchangeHolders.totp.push({ id });
      }
    });
    const started = Date.now();
    for (let from = 0; from < users; from += ROWS_PER_TRANSACTION) {
      insertMany(from, Math.min(users, from + ROWS_PER_TRANSACTION), Date.now());
      if ((from / ROWS_PER_TRANSACTION) % 5 === 4) log(`  inserted ${Math.min(users, from + ROWS_PER_TRANSACTION).toLocaleString('en')} users`);
    }
    log(`  ${users.toLocaleString('en')} users in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const seededExchange = seedExchangePrincipals(sqlite, exchangeHolders, masterKey);
    if (exchangeHolders.mfaOff.length + exchangeHolders.totp.length > 0) {
      log(`  API tokens: ${fmtCount(exchangeHolders.mfaOff.length)} users with MFA off, ${fmtCount(exchangeHolders.totp.length)} with TOTP on`);
    }
    if (options.auditEvents && holders[0]) {
      const auditStarted = Date.now();
      seedAuditHistory(sqlite, holders[0], options.auditEvents, Date.now());
      log(`  ${fmtCount(options.auditEvents)} audit events of ${holders[0].username} in ${((Date.now() - auditStarted) / 1000).toFixed(1)} s`);
    }
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    sqlite.exec('analyze');

    const mintStarted = Date.now();
    const seeded = await mintAccessTokens(store, holders, masterKey);
    log(`  ${seeded.length.toLocaleString('en')} access tokens minted in ${((Date.now() - mintStarted) / 1000).toFixed(1)} s`);
    return { holders: seeded, exchange: seededExchange };
  } finally {
    await store.close();
  }
}
