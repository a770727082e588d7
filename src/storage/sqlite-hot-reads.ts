// The hot reads of every MFA request on a SQLite file: prepared once on a read-only connection of their own,
// behind the versioned cache that any commit empties (sqlite-read-cache.ts).
import type BetterSqlite3 from 'better-sqlite3';
import { DEVICE_STATE_SQL, type DeviceStateRow, toDeviceState } from './repositories/devices.js';
import type { HotReads } from './repositories/index.js';
import { toUser, USER_BY_ID_SQL, type UserRow } from './repositories/principals.js';
import { readThroughVersionedCache } from './sqlite-read-cache.js';

/**
 * Kysely re-prepares each query, which costs more than the read. A connection of its own, so that it
 * never sees another request's uncommitted transaction on the writer connection and never waits behind
 * Kysely's one-connection mutex (WAL lets it read meanwhile). Cached objects are frozen: one may serve
 * many requests.
 */
export function createSqliteHotReads(reader: BetterSqlite3.Database): HotReads {
  const userById = reader.prepare(USER_BY_ID_SQL);
  const deviceState = reader.prepare(DEVICE_STATE_SQL);
  return {
    async findUserById(id) {
      return readThroughVersionedCache(reader, `user:${id}`, () => {
        const row = userById.get(id) as UserRow | undefined;
        return row && Object.freeze(toUser(row));
      });
    },
    async findDeviceState(userId) {
      return readThroughVersionedCache(reader, `device:${userId}`, () => {
        const row = deviceState.get(userId) as DeviceStateRow | undefined;
        return row && Object.freeze(toDeviceState(row));
      });
    },
  };
}
