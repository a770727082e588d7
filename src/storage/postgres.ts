// PostgreSQL store: a pg connection pool behind Kysely, bounded so an outage fails fast instead of hanging.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Driver } from './driver.js';
import { createKyselyQueryRunner } from './query-runner.js';
import type { HotReads } from './repositories/index.js';
import { type BatchedStatement, createBatchedRead } from './postgres-batched-read.js';
import { type HotStatement, readHotRow } from './postgres-hot-read.js';
import { type DeviceState, type DeviceStateRow, toDeviceState } from './repositories/devices.js';
import {
  FIRST_PASSKEY_NAME_SQL,
  toUser,
  toUserWithMfaState,
  type User,
  USER_COLUMNS,
  type UserRow,
  type UserWithMfaState,
  type UserWithMfaStateRow,
} from './repositories/principals.js';
import type { Database } from './schema.js';

/** Timeouts and pool size; an unreachable or stuck server must turn into an error within seconds. */
export const POSTGRES_LIMITS = {
  poolSize: 10,
  /** Opening a connection (TCP + auth). */
  connectTimeoutMs: 3_000,
  /** Server-side cap on one statement. */
  statementTimeoutMs: 5_000,
  /** Client-side cap on one query, for a server that stops answering altogether. */
  queryTimeoutMs: 6_000,
  /** A transaction left open by a crashed request is rolled back by the server. */
  idleInTransactionTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
};

const INT8_OID = 20;

/**
 * Our timestamps are epoch ms in bigint columns and counts are int8: read them as JS numbers
 * (safe up to 2^53, far beyond any epoch-ms value). Per pool, so the process-wide pg defaults stay untouched.
 */
const parseInt8 = (value: string) => (value === null ? null : Number(value));
const types = {
  // Asked for every field of every result (pg describes the portal on each query): no closure built per call.
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return parseInt8;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/**
 * The hot reads as named prepared statements: parsed and planned once per connection instead of on every
 * request. The same statements as SQLite's, in PostgreSQL's placeholder syntax, run as hot-read submittables
 * (postgres-hot-read.ts): no row description per execution, columns mapped by position. The mappers take the
 * numbers as text; toUser and toDeviceState convert them with Number() as they do for every driver.
 */
const USER_COLUMN_LIST = USER_COLUMNS.map((c) => `users.${c}`).join(', ');

/** A user row from columns in USER_COLUMNS order (derived from it, so the two cannot drift apart), the values as PostgreSQL sent them (text). */
const userRow = (v: (string | null)[]) => Object.fromEntries(USER_COLUMNS.map((column, i) => [column, v[i]])) as unknown as UserRow;

const USER_BY_ID: HotStatement<User> = {
  name: 'principal-mfa:user-by-id',
  text: `select ${USER_COLUMN_LIST} from users where users.id = $1`,
  toRow: (v) => toUser(userRow(v)),
};
/**
 * The gate's read: the user, its device state and its first passkey's name in one round trip, for every user whose
 * request was read in the same event-loop turn (postgres-batched-read.ts). The key (users.id) comes first.
 */
const USERS_WITH_MFA_STATE: BatchedStatement<UserWithMfaState> = {
  name: 'principal-mfa:users-with-mfa-state',
  text:
    `select ${USER_COLUMN_LIST}, mfa_devices.device_name, mfa_devices.activated_at, mfa_devices.turned_on, ` +
    `(${FIRST_PASSKEY_NAME_SQL.replace('user_id = ?', 'user_id = users.id')}) as first_passkey_name ` +
    'from users left join mfa_devices on mfa_devices.user_id = users.id where users.id = any($1::varchar[])',
  toRow: (v) =>
    toUserWithMfaState({
      ...userRow(v),
      device_name: v[USER_COLUMNS.length],
      activated_at: v[USER_COLUMNS.length + 1],
      turned_on: v[USER_COLUMNS.length + 2],
      first_passkey_name: v[USER_COLUMNS.length + 3],
    } as unknown as UserWithMfaStateRow),
};
const DEVICE_STATE: HotStatement<DeviceState> = {
  name: 'principal-mfa:device-state',
  text: 'select device_name, activated_at, turned_on from mfa_devices where user_id = $1',
  toRow: (v) => toDeviceState({ device_name: v[0], activated_at: v[1], turned_on: v[2] } as unknown as DeviceStateRow),
};

function createPostgresHotReads(pool: pg.Pool): HotReads {
  return {
    findUserById: (id) => readHotRow(pool, USER_BY_ID, [id]),
    findDeviceState: (userId) => readHotRow(pool, DEVICE_STATE, [userId]),
    findUserWithMfaState: createBatchedRead(pool, USERS_WITH_MFA_STATE),
  };
}

export async function openPostgres(url: string): Promise<Driver> {
  const pool = new pg.Pool({
    connectionString: url,
    max: POSTGRES_LIMITS.poolSize,
    connectionTimeoutMillis: POSTGRES_LIMITS.connectTimeoutMs,
    statement_timeout: POSTGRES_LIMITS.statementTimeoutMs,
    query_timeout: POSTGRES_LIMITS.queryTimeoutMs,
    idle_in_transaction_session_timeout: POSTGRES_LIMITS.idleInTransactionTimeoutMs,
    idleTimeoutMillis: POSTGRES_LIMITS.idleTimeoutMs,
    application_name: 'principal-mfa',
    // Idle connections do not keep a finished process (the CLI, a test) alive.
    allowExitOnIdle: true,
    types,
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener that
  // would crash the process. The broken client is discarded and the next query reconnects.
  pool.on('error', () => undefined);
  // A client checked out of the pool (a query that timed out, a transaction between statements) has no
  // pool listener: when its server goes away the socket error would be an uncaught exception. Its query
  // (if any) still rejects; the client is then discarded by the pool.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    openHotReads: () => createPostgresHotReads(pool),
    // PostgreSQL dumps hold only live rows.
    eraseFreedPages: (work) => work(),
    // The server does the work of a slow statement: the event loop only waits.
    openQueryRunner: () => createKyselyQueryRunner(db),
    async close() {
      await db.destroy(); // ends the pool
    },
  };
}
