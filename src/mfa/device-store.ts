// Queries on mfa_devices and recovery_codes (plain Kysely: the same on SQLite and PostgreSQL).
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, MfaDevicesTable } from '../storage/schema.js';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.js';

export type DeviceRow = Selectable<MfaDevicesTable>;

export const isActivated = (device: DeviceRow): boolean => device.activated_at !== null;

export async function findDevice(db: Kysely<Database>, userId: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('mfa_devices').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export interface NewDevice {
  userId: string;
  deviceName: string;
  secretCiphertext: string;
  algorithm: string;
  digits: number;
  periodSeconds: number;
  createdAt: number;
}

/**
 * Inserts a pending device, replacing a pending one, in one statement: the conflict update only
 * applies while the existing row is not activated, so a concurrent activation can never be
 * overwritten. Returns false when an activated device is in the way.
 */
export async function upsertPendingDevice(db: Kysely<Database>, d: NewDevice): Promise<boolean> {
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
}

/**
 * The replay guard: records `step` as used only if it is newer than every step used before on this
 * very device (same ciphertext). Two concurrent requests with one code: exactly one row update wins.
 * With `activate`, the same statement activates a pending device and turns MFA on.
 */
export async function claimTimeStep(db: Kysely<Database>, device: DeviceRow, step: number, activateAtMs?: number): Promise<boolean> {
  let query = db
    .updateTable('mfa_devices')
    .set(activateAtMs === undefined ? { last_used_step: step } : { last_used_step: step, activated_at: activateAtMs, turned_on: 1 })
    .where('user_id', '=', device.user_id)
    .where('secret_ciphertext', '=', device.secret_ciphertext)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]));
  query = activateAtMs === undefined ? query.where('activated_at', 'is not', null) : query.where('activated_at', 'is', null);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Replaces the principal's recovery codes with a fresh set; returns the codes, shown once. */
export async function replaceRecoveryCodes(db: Kysely<Database>, userId: string, nowMs: number): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await db
    .insertInto('recovery_codes')
    .values(codes.map((code) => ({ id: randomUUID(), user_id: userId, code_hash: hashRecoveryCode(normalizeRecoveryCode(code)!), used_at: null, created_at: nowMs })))
    .execute();
  return codes;
}

/** Marks one unused code as used; a single conditional UPDATE, so a code can be spent only once. */
export async function consumeRecoveryCode(db: Kysely<Database>, userId: string, input: string, nowMs: number): Promise<boolean> {
  const normalized = normalizeRecoveryCode(input);
  if (normalized === null) return false;
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at: nowMs })
    .where('user_id', '=', userId)
    .where('code_hash', '=', hashRecoveryCode(normalized))
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes the device, the recovery codes and the failure count: the principal starts from scratch. */
export async function deleteMfaState(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  await db.deleteFrom('mfa_devices').where('user_id', '=', userId).execute();
  await db.deleteFrom('mfa_lockouts').where('user_id', '=', userId).execute();
}
