// The MFA devices repository (mfa_devices): one TOTP device per principal, pending until a first code activates it.
import type { Kysely, Selectable } from 'kysely';
import type { Database, MfaDevicesTable } from '../schema.js';

export interface Device {
  userId: string;
  deviceName: string;
  /** AES-256-GCM ciphertext of the TOTP seed (see mfa/seed-crypto.ts); never the plain secret. */
  secretCiphertext: string;
  algorithm: string;
  digits: number;
  periodSeconds: number;
  /** Epoch ms of the activation; null while pending. */
  activatedAt: number | null;
  turnedOn: boolean;
  /** Highest TOTP time step accepted so far; replay guard. */
  lastUsedStep: number | null;
  createdAt: number;
}

/** What the status endpoint shows: the hot read of every MFA request. */
export type DeviceState = Pick<Device, 'deviceName' | 'activatedAt' | 'turnedOn'>;

export type NewDevice = Omit<Device, 'activatedAt' | 'turnedOn' | 'lastUsedStep'>;

export interface DeviceStateRow {
  device_name: string;
  activated_at: number | null;
  turned_on: number;
}

/** The hot read by user id, prepared once on the SQLite reader connection (sqlite-hot-reads.ts). */
export const DEVICE_STATE_SQL = 'select device_name, activated_at, turned_on from mfa_devices where user_id = ?';

const toEpochMs = (value: number | null): number | null => (value === null ? null : Number(value));

export const toDeviceState = (row: DeviceStateRow): DeviceState => ({
  deviceName: row.device_name,
  activatedAt: toEpochMs(row.activated_at),
  turnedOn: Number(row.turned_on) === 1,
});

const toDevice = (row: Selectable<MfaDevicesTable>): Device => ({
  userId: row.user_id,
  deviceName: row.device_name,
  secretCiphertext: row.secret_ciphertext,
  algorithm: row.algorithm,
  digits: Number(row.digits),
  periodSeconds: Number(row.period_seconds),
  activatedAt: toEpochMs(row.activated_at),
  turnedOn: Number(row.turned_on) === 1,
  lastUsedStep: toEpochMs(row.last_used_step),
  createdAt: Number(row.created_at),
});

export type DevicesRepository = ReturnType<typeof createDevicesRepository>;

/** `findDeviceState` replaces the plain state read with a driver's hot read (chosen once, when the store opens). */
export function createDevicesRepository(db: Kysely<Database>, findDeviceState?: (userId: string) => Promise<DeviceState | undefined>) {
  return {
    async findByUser(userId: string): Promise<Device | undefined> {
      const row = await db.selectFrom('mfa_devices').selectAll().where('user_id', '=', userId).executeTakeFirst();
      return row && toDevice(row);
    },

    findState:
      findDeviceState ??
      (async (userId: string): Promise<DeviceState | undefined> => {
        const row = await db.selectFrom('mfa_devices').select(['device_name', 'activated_at', 'turned_on']).where('user_id', '=', userId).executeTakeFirst();
        return row && toDeviceState(row);
      }),

    /**
     * Inserts a pending device, replacing a pending one, in one statement: the conflict update only
     * applies while the existing row is not activated, so a concurrent activation can never be
     * overwritten. Returns false when an activated device is in the way.
     */
    async upsertPending(d: NewDevice): Promise<boolean> {
      const values = {
        device_name: d.deviceName,
        secret_ciphertext: d.secretCiphertext,
        algorithm: d.algorithm,
        digits: d.digits,
        period_seconds: d.periodSeconds,
        activated_at: null,
        turned_on: 0,
        last_used_step: null,
        created_at: d.createdAt,
      };
      const result = await db
        .insertInto('mfa_devices')
        .values({ user_id: d.userId, ...values })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(values).where('mfa_devices.activated_at', 'is', null))
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    /**
     * The replay guard: records `step` as used only if it is newer than every step used before on this
     * very device (same ciphertext). Two concurrent requests with one code: exactly one row update wins.
     * With `activateAtMs`, the same statement activates a pending device and turns MFA on.
     */
    async claimTimeStep(device: Pick<Device, 'userId' | 'secretCiphertext'>, step: number, activateAtMs?: number): Promise<boolean> {
      let query = db
        .updateTable('mfa_devices')
        .set(activateAtMs === undefined ? { last_used_step: step } : { last_used_step: step, activated_at: activateAtMs, turned_on: 1 })
        .where('user_id', '=', device.userId)
        .where('secret_ciphertext', '=', device.secretCiphertext)
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]));
      query = activateAtMs === undefined ? query.where('activated_at', 'is not', null) : query.where('activated_at', 'is', null);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Returns false when the principal has no device. */
    async rename(userId: string, deviceName: string): Promise<boolean> {
      const result = await db.updateTable('mfa_devices').set({ device_name: deviceName }).where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Turns an activated device on or off; returns false when it was already in that state (or is not activated). */
    async setTurnedOn(userId: string, turnedOn: boolean): Promise<boolean> {
      const result = await db
        .updateTable('mfa_devices')
        .set({ turned_on: turnedOn ? 1 : 0 })
        .where('user_id', '=', userId)
        .where('activated_at', 'is not', null)
        .where('turned_on', '=', turnedOn ? 0 : 1)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async deleteForUser(userId: string): Promise<void> {
      await db.deleteFrom('mfa_devices').where('user_id', '=', userId).execute();
    },
  };
}
