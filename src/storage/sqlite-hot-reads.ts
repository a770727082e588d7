// The hot reads of every MFA request on a SQLite file: prepared once on a read-only connection of their own,
// behind the versioned cache that any commit empties (sqlite-read-cache.ts).
import type BetterSqlite3 from 'better-sqlite3';
import type { HotReads } from './repositories/index.js';
import { toUserWithDeviceState, USER_WITH_DEVICE_STATE_SQL, type UserWithDeviceStateRow } from './repositories/principals.js';
import { createVersionedCache } from './sqlite-read-cache.js';

/**
 * Kysely re-prepares each query, which costs more than the read. A connection of its own, so that it
 * never sees another request's uncommitted transaction on the writer connection and never waits behind
 * Kysely's one-connection mutex (WAL lets it read meanwhile). One cached entry per user holds its row and
 * its device's state (one statement, one freshness check); the user and device reads are views of it.
 * Cached objects are frozen: one may serve many requests.
 */
export function createSqliteHotReads(reader: BetterSqlite3.Database): HotReads {
  const userWithDeviceState = reader.prepare(USER_WITH_DEVICE_STATE_SQL);
  const read = createVersionedCache(reader, (id) => {
    const row = userWithDeviceState.get(id) as UserWithDeviceStateRow | undefined;
    if (!row) return undefined;
    const { user, device } = toUserWithDeviceState(row);
    return Object.freeze({ user: Object.freeze(user), device: device && Object.freeze(device) });
  });
  return {
    async findUserWithDeviceState(id) {
      return read(id);
    },
    async findUserById(id) {
      return read(id)?.user;
    },
    async findDeviceState(userId) {
      return read(userId)?.device;
    },
  };
}
