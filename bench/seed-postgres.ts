// Fills a PostgreSQL database for `npm run bench -- --database postgres://…`: the same users as the SQLite
// seeding (generated server-side in one statement), and access tokens minted with that store's key ring.
import { sql } from 'kysely';
import { DEFAULT_DOMAIN, DEFAULT_ORG } from '../src/principals/users.js';
import { openStore } from '../src/storage/database.js';
import { mintAccessTokens, type SeededUser, type SeedOptions } from './seed.js';
import { kyselyOf } from '../src/storage/internal.js';

/** Seeds `url` (its users, tokens and keys are replaced). */
export async function seedPostgres(url: string, options: Omit<SeedOptions, 'file'>): Promise<SeededUser[]> {
  const { users, tokens, log, masterKey } = options;
  if (tokens > users) throw new Error(`--tokens (${tokens}) cannot exceed --users (${users})`);
  const store = await openStore(url); // runs the real migrations
  try {
    const started = Date.now();
    await sql`truncate users, api_tokens, signing_keys, mfa_devices, recovery_codes, mfa_lockouts, audit_events cascade`.execute(kyselyOf(store));
    // Generated on the server (a million client round trips would measure the network, not the store),
    // in chunks that each stay well inside the store's statement timeout.
    const chunk = 50_000;
    for (let from = 0; from < users; from += chunk) {
      const to = Math.min(users, from + chunk) - 1;
      await sql`insert into users (id, username, domain, org_id, password_hash, enabled, created_at)
        select gen_random_uuid()::text, 'bench-user-' || lpad(i::text, 7, '0'), ${DEFAULT_DOMAIN}, ${DEFAULT_ORG}, null, 1, ${Date.now()}
        from generate_series(${from}::int, ${to}::int) as i`.execute(kyselyOf(store));
    }
    await sql`analyze users`.execute(kyselyOf(store));
    log(`  ${users.toLocaleString('en')} users in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // Token holders spread over the whole table, as in the SQLite seeding.
    const stride = Math.floor(users / tokens);
    const { rows } = await sql<{ id: string; username: string }>`
      select id, username from users where (substring(username from 12))::int % ${stride} = 0 order by username limit ${tokens}`.execute(kyselyOf(store));

    const seeded = await mintAccessTokens(store, rows, masterKey);
    log(`  ${seeded.length.toLocaleString('en')} access tokens minted`);
    return seeded;
  } finally {
    await store.close();
  }
}
