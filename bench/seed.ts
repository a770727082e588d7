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

export interface SeedOptions {
  file: string;
  users: number;
  tokens: number;
  /** The key the server will be started with (--master-key-file): it seals the signing key made here. */
  masterKey: Buffer;
  /** Progress lines go here. */
  log(line: string): void;
}

export interface SeededUser {
  username: string;
  accessToken: string;
}

const ROWS_PER_TRANSACTION = 50_000;
const MINT_CONCURRENCY = 16;

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

export async function seedStore(options: SeedOptions): Promise<SeededUser[]> {
  const { file, users, tokens, log, masterKey } = options;
  if (tokens > users) throw new Error(`--tokens (${tokens}) cannot exceed --users (${users})`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const store = await openStore(`sqlite:${file}`); // runs the real migrations
  try {
    const sqlite = sqliteOf(store)!;
    // A throw-away file: durability during the bulk load buys nothing.
    sqlite.pragma('synchronous = OFF');
    const insert = sqlite.prepare('insert into users (id, username, domain, org_id, password_hash, enabled, created_at) values (?, ?, ?, ?, NULL, 1, ?)');
    // Spread the token holders over the whole table so lookups do not all hit one hot page range.
    const stride = Math.floor(users / tokens);
    const holders: { id: string; username: string }[] = [];
    const insertMany = sqlite.transaction((from: number, to: number, now: number) => {
      for (let i = from; i < to; i++) {
        const id = randomUUID();
        const username = benchUsername(i);
        insert.run(id, username, DEFAULT_DOMAIN, DEFAULT_ORG, now);
        if (i % stride === 0 && holders.length < tokens) holders.push({ id, username });
      }
    });
    const started = Date.now();
    for (let from = 0; from < users; from += ROWS_PER_TRANSACTION) {
      insertMany(from, Math.min(users, from + ROWS_PER_TRANSACTION), Date.now());
      if ((from / ROWS_PER_TRANSACTION) % 5 === 4) log(`  inserted ${Math.min(users, from + ROWS_PER_TRANSACTION).toLocaleString('en')} users`);
    }
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    sqlite.exec('analyze');
    log(`  ${users.toLocaleString('en')} users in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const mintStarted = Date.now();
    const seeded = await mintAccessTokens(store, holders, masterKey);
    log(`  ${seeded.length.toLocaleString('en')} access tokens minted in ${((Date.now() - mintStarted) / 1000).toFixed(1)} s`);
    return seeded;
  } finally {
    await store.close();
  }
}
