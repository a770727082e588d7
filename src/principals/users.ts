// Users: the principals that own an MFA device. Lookups by id sit on the hot path of every MFA request.
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';
import { readThroughVersionedCache } from '../storage/sqlite-read-cache.js';

export const DEFAULT_DOMAIN = 'local';
export const DEFAULT_ORG = 'default';

export interface User {
  id: string;
  username: string;
  domain: string;
  orgId: string;
  enabled: boolean;
  passwordHash: string | null;
  /** Outside principals: the `iss` and `sub` that name them (the username is only displayed); null for local users. */
  issuer: string | null;
  subject: string | null;
}

interface UserRow {
  id: string;
  username: string;
  domain: string;
  org_id: string;
  enabled: number;
  password_hash: string | null;
  issuer?: string | null;
  subject?: string | null;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  domain: row.domain,
  orgId: row.org_id,
  enabled: Number(row.enabled) === 1,
  passwordHash: row.password_hash,
  issuer: row.issuer ?? null,
  subject: row.subject ?? null,
});

const COLUMNS = ['id', 'username', 'domain', 'org_id', 'enabled', 'password_hash', 'issuer', 'subject'] as const;
const USER_BY_ID_SQL = `select ${COLUMNS.join(', ')} from users where id = ?`;
/** The same statement in PostgreSQL's placeholder syntax. */
const USER_BY_ID_PG = USER_BY_ID_SQL.replace('?', '$1');
const byIdStatements = new WeakMap<BetterSqlite3.Database, BetterSqlite3.Statement>();

/**
 * The current row on every call: disable/delete by the CLI must win on the next request. On SQLite the
 * read goes through a cache that any committed change empties (see storage/sqlite-read-cache.ts).
 */
export async function findUserById(store: Store, id: string): Promise<User | undefined> {
  const reader = store.sqliteReader;
  if (reader) {
    return readThroughVersionedCache(reader, `user:${id}`, () => {
      // Prepared once per connection: Kysely would re-prepare on every call of this hot path.
      let stmt = byIdStatements.get(reader);
      if (!stmt) byIdStatements.set(reader, (stmt = reader.prepare(USER_BY_ID_SQL)));
      const row = stmt.get(id) as UserRow | undefined;
      // Frozen: the same object may serve many requests.
      return row && Object.freeze(toUser(row));
    });
  }
  if (store.pgPool) {
    const { rows } = await store.pgPool.query<UserRow>({ name: 'principal-mfa:user-by-id', text: USER_BY_ID_PG, values: [id] });
    return rows[0] && toUser(rows[0]);
  }
  const row = await store.db.selectFrom('users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

/**
 * The user who owns this name in the domain: a local user, or an outside principal made before migration
 * 003 (not yet keyed by issuer and subject). Outside principals proper are found by findUsersInDomain.
 */
export async function findUserByUsername(store: Store, username: string, domain = DEFAULT_DOMAIN): Promise<User | undefined> {
  const row = await store.db.selectFrom('users').select(COLUMNS).where('domain', '=', domain).where('username', '=', username).where('issuer', 'is', null).executeTakeFirst();
  return row && toUser(row);
}

/**
 * Every principal of a domain shown by this name, or holding this subject (outside names are not unique).
 * Each query carries an `issuer` predicate so that it runs on one of the partial indexes of migration 003.
 */
export async function findUsersInDomain(store: Store, domain: string, by: { username: string } | { subject: string }): Promise<User[]> {
  const inDomain = store.db.selectFrom('users').select(COLUMNS).where('domain', '=', domain);
  if ('subject' in by) return (await inDomain.where('issuer', 'is not', null).where('subject', '=', by.subject).execute()).map(toUser);
  const named = inDomain.where('username', '=', by.username);
  const rows = [...(await named.where('issuer', 'is', null).execute()), ...(await named.where('issuer', 'is not', null).orderBy('created_at').execute())];
  return rows.map(toUser);
}

/** The outside principal named by an issuer's `iss` and `sub`. */
export async function findUserBySubject(store: Store, issuer: string, subject: string): Promise<User | undefined> {
  const row = await store.db.selectFrom('users').select(COLUMNS).where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
  return row && toUser(row);
}

export interface NewUser {
  username: string;
  domain?: string;
  orgId?: string;
  passwordHash?: string | null;
  id?: string;
  issuer?: string;
  subject?: string;
}

export async function createUser(store: Store, clock: Clock, input: NewUser): Promise<User> {
  const row = {
    id: input.id ?? randomUUID(),
    username: input.username,
    domain: input.domain ?? DEFAULT_DOMAIN,
    org_id: input.orgId ?? DEFAULT_ORG,
    password_hash: input.passwordHash ?? null,
    enabled: 1,
    created_at: clock.now(),
    issuer: input.issuer ?? null,
    subject: input.subject ?? null,
  };
  await store.db.insertInto('users').values(row).execute();
  return toUser(row);
}

export async function setUserEnabled(store: Store, id: string, enabled: boolean): Promise<void> {
  await store.db.updateTable('users').set({ enabled: enabled ? 1 : 0 }).where('id', '=', id).execute();
}

/** A new password (hash) for the user; the old one stops working at once. */
export async function setUserPasswordHash(store: Store, id: string, passwordHash: string): Promise<void> {
  await store.db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
}

export async function deleteUser(store: Store, id: string): Promise<void> {
  await store.db.deleteFrom('users').where('id', '=', id).execute();
}

/** `sub` claim of a user's access token: `<domain>:<id>`, as CSP does. */
export const userSubject = (user: Pick<User, 'domain' | 'id'>): string => `${user.domain}:${user.id}`;

/** The user id inside a `sub`, or undefined when the subject is not ours. */
export function userIdFromSubject(sub: string): string | undefined {
  const at = sub.lastIndexOf(':');
  return at > 0 ? sub.slice(at + 1) : undefined;
}
