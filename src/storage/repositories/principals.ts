// The principals repository (users table): local users and outside principals, as User objects.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { type DeviceState, type DeviceStateRow, toDeviceState } from './devices.js';

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

export interface NewUserRecord extends Omit<User, 'enabled'> {
  createdAt: number;
}

/** A local user of a bulk import; the id and creation time are given by the repository. */
export type ImportedUser = Pick<User, 'username' | 'domain' | 'orgId' | 'passwordHash'>;

export interface UserRow {
  id: string;
  username: string;
  domain: string;
  org_id: string;
  enabled: number;
  password_hash: string | null;
  issuer?: string | null;
  subject?: string | null;
}

export const toUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  domain: row.domain,
  orgId: row.org_id,
  enabled: Number(row.enabled) === 1,
  passwordHash: row.password_hash,
  issuer: row.issuer ?? null,
  subject: row.subject ?? null,
});

export const USER_COLUMNS = ['id', 'username', 'domain', 'org_id', 'enabled', 'password_hash', 'issuer', 'subject'] as const;
/** The hot read by id, for the drivers' prepared statements (sqlite-hot-reads.ts, postgres.ts). */
export const USER_BY_ID_SQL = `select ${USER_COLUMNS.join(', ')} from users where id = ?`;

/**
 * A user with what its MFA status is made of, in one read: what the principal-API gate reads, so that the status
 * route answers from it with no further read. `device`: its TOTP device's state (undefined: none);
 * `firstPasskeyName`: the name of its first registered passkey (undefined: none).
 */
export interface UserWithMfaState {
  user: User;
  device: DeviceState | undefined;
  firstPasskeyName: string | undefined;
}

/** The first registered passkey's name (the status shows it when no activated TOTP device decides). */
export const FIRST_PASSKEY_NAME_SQL = 'select name from webauthn_credentials where user_id = ? order by created_at, id limit 1';

/** The device columns are null when the user has no device (the left join found none); so is the passkey name without one. */
export type UserWithMfaStateRow = UserRow & { [K in keyof DeviceStateRow]: DeviceStateRow[K] | null } & { first_passkey_name: string | null };

export const toUserWithMfaState = (row: UserWithMfaStateRow): UserWithMfaState => ({
  user: toUser(row),
  device: row.device_name === null ? undefined : toDeviceState(row as DeviceStateRow),
  firstPasskeyName: row.first_passkey_name ?? undefined,
});

/** Rows per INSERT statement (SQLite allows 32766 bound values; 7 columns each). */
const ROWS_PER_STATEMENT = 500;

export type PrincipalsRepository = ReturnType<typeof createPrincipalsRepository>;

/** The driver's hot reads replace the plain reads by id (chosen once, when the store opens). */
export function createPrincipalsRepository(
  db: Kysely<Database>,
  hot?: {
    findUserById(id: string): Promise<User | undefined>;
    findUserWithMfaState(id: string): Promise<UserWithMfaState | undefined>;
    findUserWithMfaStateNow?(id: string): UserWithMfaState | undefined;
  },
) {
  const users = () => db.selectFrom('users').select(USER_COLUMNS);
  return {
    /** The current row on every call: disable/delete by the CLI must win on the next request. */
    findById:
      hot?.findUserById ??
      (async (id: string): Promise<User | undefined> => {
        const row = await users().where('id', '=', id).executeTakeFirst();
        return row && toUser(row);
      }),

    /** The current user, device and first passkey in one read (the status route needs all three): one statement here and on PostgreSQL. */
    findByIdWithMfaState:
      hot?.findUserWithMfaState ??
      (async (id: string): Promise<UserWithMfaState | undefined> => {
        const row = await db
          .selectFrom('users')
          .leftJoin('mfa_devices', 'mfa_devices.user_id', 'users.id')
          .select((eb) => [
            ...USER_COLUMNS.map((c) => `users.${c}` as const),
            'mfa_devices.device_name',
            'mfa_devices.activated_at',
            'mfa_devices.turned_on',
            eb
              .selectFrom('webauthn_credentials')
              .select('webauthn_credentials.name')
              .whereRef('webauthn_credentials.user_id', '=', 'users.id')
              .orderBy('webauthn_credentials.created_at')
              .orderBy('webauthn_credentials.id')
              .limit(1)
              .as('first_passkey_name'),
          ])
          .where('users.id', '=', id)
          .executeTakeFirst();
        return row && toUserWithMfaState(row as UserWithMfaStateRow);
      }),

    /**
     * findByIdWithMfaState answered at once, where the driver reads synchronously (SQLite); undefined elsewhere
     * (PostgreSQL, a transaction): the caller then awaits findByIdWithMfaState.
     */
    findByIdWithMfaStateNow: hot?.findUserWithMfaStateNow,

    /** The principal without an outside issuer that owns this name in the domain. */
    async findLocal(username: string, domain: string): Promise<User | undefined> {
      const row = await users().where('domain', '=', domain).where('username', '=', username).where('issuer', 'is', null).executeTakeFirst();
      return row && toUser(row);
    },

    /** Outside principals of a domain holding this subject. The `issuer` predicate selects a partial index of migration 003. */
    async findOutsideBySubjectInDomain(domain: string, subject: string): Promise<User[]> {
      return (await users().where('domain', '=', domain).where('issuer', 'is not', null).where('subject', '=', subject).execute()).map(toUser);
    },

    /** Every principal of a domain shown by this name: the local one first, then outside ones, oldest first. */
    async findAllNamedInDomain(domain: string, username: string): Promise<User[]> {
      const named = users().where('domain', '=', domain).where('username', '=', username);
      const rows = [...(await named.where('issuer', 'is', null).execute()), ...(await named.where('issuer', 'is not', null).orderBy('created_at').execute())];
      return rows.map(toUser);
    },

    async findBySubject(issuer: string, subject: string): Promise<User | undefined> {
      const row = await users().where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
      return row && toUser(row);
    },

    async hasAny(): Promise<boolean> {
      return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
    },

    async insert(user: NewUserRecord): Promise<void> {
      const { id, username, domain, orgId, passwordHash, createdAt, issuer, subject } = user;
      await db
        .insertInto('users')
        .values({ id, username, domain, org_id: orgId, password_hash: passwordHash, enabled: 1, created_at: createdAt, issuer, subject })
        .execute();
    },

    /** Inserts the local users whose name is free, with ids from `newId`; returns how many were inserted. */
    async insertNewLocal(users: ImportedUser[], createdAt: number, newId: () => string): Promise<number> {
      let inserted = 0;
      for (let i = 0; i < users.length; i += ROWS_PER_STATEMENT) {
        const values = users.slice(i, i + ROWS_PER_STATEMENT).map((u) => ({
          id: newId(),
          username: u.username,
          domain: u.domain,
          org_id: u.orgId,
          password_hash: u.passwordHash,
          enabled: 1,
          created_at: createdAt,
        }));
        const result = await db
          .insertInto('users')
          .values(values)
          // The unique index on local names is partial (issuer is null): the target must say so (migration 003).
          .onConflict((oc) => oc.columns(['domain', 'username']).where('issuer', 'is', null).doNothing())
          .executeTakeFirst();
        inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
      return inserted;
    },

    /** Binds a row made before migration 003 (no issuer) to an issuer and subject; false when there was none to claim. */
    async claimLegacy(from: { domain: string; username: string }, to: { issuer: string; subject: string; domain: string }): Promise<boolean> {
      const row = await db
        .updateTable('users')
        .set({ issuer: to.issuer, subject: to.subject, domain: to.domain })
        .where('domain', '=', from.domain)
        .where('username', '=', from.username)
        .where('issuer', 'is', null)
        .returning(['id'])
        .executeTakeFirst();
      return row !== undefined;
    },

    async rename(id: string, username: string): Promise<void> {
      await db.updateTable('users').set({ username }).where('id', '=', id).execute();
    },

    async setEnabled(id: string, enabled: boolean): Promise<void> {
      await db
        .updateTable('users')
        .set({ enabled: enabled ? 1 : 0 })
        .where('id', '=', id)
        .execute();
    },

    async setPasswordHash(id: string, passwordHash: string): Promise<void> {
      await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).execute();
    },

    async delete(id: string): Promise<void> {
      await db.deleteFrom('users').where('id', '=', id).execute();
    },

    /**
     * Inside a transaction: holds the principal's row until it ends, so changes that must see each other
     * (two removals that would each leave one authenticator) run one after the other. A no-op write rather
     * than `select … for update`, which SQLite lacks; SQLite's one writer serialises the transactions anyway.
     */
    async lockForChange(id: string): Promise<void> {
      await db
        .updateTable('users')
        .set((eb) => ({ enabled: eb.ref('enabled') }))
        .where('id', '=', id)
        .execute();
    },
  };
}
