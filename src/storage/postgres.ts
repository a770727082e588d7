// PostgreSQL store: a pg connection pool behind Kysely, bounded so an outage fails fast instead of hanging.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Driver } from './driver.js';
import { createKyselyQueryRunner } from './query-runner.js';
import type { HotReads } from './repositories/index.js';
import {
  FIRST_PASSKEY_NAME_SQL,
  toUser,
  toUserWithMfaState,
  USER_BY_ID_SQL,
  USER_COLUMNS,
  type UserRow,
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
 * request. The same statements as SQLite's, in PostgreSQL's placeholder syntax; each config object is built
 * once (pg copies it per query and takes the values apart).
 */
const USER_BY_ID = { name: 'principal-mfa:user-by-id', text: USER_BY_ID_SQL.replace('?', '$1') };
/** The gate's read: the user, its device state and its first passkey's name in one round trip. */
const USER_WITH_MFA_STATE = {
  name: 'principal-mfa:user-with-mfa-state',
  text:
    `select ${USER_COLUMNS.map((c) => `users.${c}`).join(', ')}, mfa_devices.device_name, mfa_devices.activated_at, mfa_devices.turned_on, ` +
    `(${FIRST_PASSKEY_NAME_SQL.replace('user_id = ?', 'user_id = users.id')}) as first_passkey_name ` +
    'from users left join mfa_devices on mfa_devices.user_id = users.id where users.id = $1',
};
/** Columns named after DeviceState's fields (and `turned_on = 1` a boolean here): the row is the domain object, nothing to map. */
const DEVICE_STATE = {
  name: 'principal-mfa:device-state',
  text: 'select device_name as "deviceName", activated_at as "activatedAt", turned_on = 1 as "turnedOn" from mfa_devices where user_id = $1',
};

function createPostgresHotReads(pool: pg.Pool): HotReads {
  return {
    async findUserById(id) {
      const { rows } = await pool.query<UserRow>(USER_BY_ID, [id]);
      return rows[0] && toUser(rows[0]);
    },
    async findDeviceState(userId) {
      const { rows } = await pool.query(DEVICE_STATE, [userId]);
      return rows[0];
    },
    async findUserWithMfaState(id) {
      const { rows } = await pool.query<UserWithMfaStateRow>(USER_WITH_MFA_STATE, [id]);
      return rows[0] && toUserWithMfaState(rows[0]);
    },
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
