// The principal's MFA state as CSP reports it (UserMfaStatusDto).
import type BetterSqlite3 from 'better-sqlite3';
import type { User } from '../principals/users.js';
import type { Store } from '../storage/database.js';
import { readThroughVersionedCache } from '../storage/sqlite-read-cache.js';

export interface UserMfaStatus {
  activated: boolean;
  deviceName?: string;
  turnedOn: boolean;
  username: string;
}

interface DeviceStateRow {
  device_name: string;
  activated_at: number | null;
  turned_on: number;
}

const DEVICE_STATE_SQL = 'select device_name, activated_at, turned_on from mfa_devices where user_id = ?';
/** The same statement in PostgreSQL's placeholder syntax. */
const DEVICE_STATE_PG = DEVICE_STATE_SQL.replace('?', '$1');
const statements = new WeakMap<BetterSqlite3.Database, BetterSqlite3.Statement>();

async function findDeviceState(store: Store, userId: string): Promise<DeviceStateRow | undefined> {
  const reader = store.sqliteReader;
  if (reader) {
    // Hot path of the status endpoint: a prepared statement behind a cache that any commit empties.
    return readThroughVersionedCache(reader, `device:${userId}`, () => {
      let stmt = statements.get(reader);
      if (!stmt) statements.set(reader, (stmt = reader.prepare(DEVICE_STATE_SQL)));
      return stmt.get(userId) as DeviceStateRow | undefined;
    });
  }
  if (store.pgPool) {
    const { rows } = await store.pgPool.query<DeviceStateRow>({ name: 'principal-mfa:device-state', text: DEVICE_STATE_PG, values: [userId] });
    return rows[0];
  }
  return store.db.selectFrom('mfa_devices').select(['device_name', 'activated_at', 'turned_on']).where('user_id', '=', userId).executeTakeFirst();
}

/** A pending (not yet activated) device is not shown: CSP's deviceName is the activated device's. */
export async function getMfaStatus(store: Store, user: User): Promise<UserMfaStatus> {
  const device = await findDeviceState(store, user.id);
  if (!device || device.activated_at === null) return { activated: false, turnedOn: false, username: user.username };
  return { activated: true, deviceName: device.device_name, turnedOn: Number(device.turned_on) === 1, username: user.username };
}
