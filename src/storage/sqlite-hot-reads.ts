// The hot reads of every MFA request on a SQLite file: prepared once on a read-only connection of their own,
// behind the versioned cache that any commit empties (sqlite-read-cache.ts).
import type BetterSqlite3 from 'better-sqlite3';
import { DEVICE_STATE_SQL, type DeviceStateRow, toDeviceState } from './repositories/devices.js';
import type { HotReads } from './repositories/index.js';
import { FIRST_PASSKEY_NAME_SQL, toUser, USER_BY_ID_SQL, type UserRow, type UserWithMfaState } from './repositories/principals.js';
import type { ChangeWatch } from './sqlite-change-watch.js';
import { createVersionedCache } from './sqlite-read-cache.js';

/**
 * Kysely re-prepares each query, which costs more than the read. A connection of its own, so that it
 * never sees another request's uncommitted transaction on the writer connection and never waits behind
 * Kysely's one-connection mutex (WAL lets it read meanwhile). One cached entry per user holds its row, its
 * device's state and its first passkey's name (one freshness check per request); the user and device reads are
 * views of it. On a miss, three statements by key: two by primary key measured at half the cost of one LEFT JOIN
 * here (docs/benchmarks.md), and the passkey by the (user_id, created_at) index.
 * Cached objects are frozen: one may serve many requests.
 */
export function createSqliteHotReads(reader: BetterSqlite3.Database, watch: ChangeWatch): HotReads {
  const userById = reader.prepare(USER_BY_ID_SQL);
  const deviceState = reader.prepare(DEVICE_STATE_SQL);
  const firstPasskeyName = reader.prepare(FIRST_PASSKEY_NAME_SQL).pluck();
  const read = createVersionedCache(watch, (id): UserWithMfaState | undefined => {
    const row = userById.get(id) as UserRow | undefined;
    if (!row) return undefined;
    const device = deviceState.get(id) as DeviceStateRow | undefined;
    const passkeyName = firstPasskeyName.get(id) as string | undefined;
    return Object.freeze({ user: Object.freeze(toUser(row)), device: device && Object.freeze(toDeviceState(device)), firstPasskeyName: passkeyName });
  });
  return {
    async findUserWithMfaState(id) {
      return read(id);
    },
    findUserWithMfaStateNow: read,
    async findUserById(id) {
      return read(id)?.user;
    },
    async findDeviceState(userId) {
      return read(userId)?.device;
    },
  };
}
