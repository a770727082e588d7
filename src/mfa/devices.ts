// The MFA device lifecycle: register (pending), activate with a first code, rename, remove, turn on/off.
import QRCode from 'qrcode';
import { recordAuditEvent } from '../audit/record.js';
import { ApiError } from '../errors.js';
import { verifyPassword } from '../principals/passwords.js';
import type { User } from '../principals/users.js';
import { deleteMfaState, findDevice, isActivated, replaceRecoveryCodes, upsertPendingDevice } from './device-store.js';
import { requireMasterKey, type SecondFactorDeps, withSecondFactor } from './second-factor.js';
import { encryptSeed } from './seed-crypto.js';
import { getMfaStatus, type UserMfaStatus } from './status.js';
import { base32Encode, generateSecret, otpauthUri } from './totp.js';

/** Shown in authenticator apps next to the account name. */
export const OTPAUTH_ISSUER = 'principal-mfa';
export const TOTP_PARAMETERS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

export type MfaDeps = SecondFactorDeps;

export interface RegisteredDevice {
  deviceName: string;
  secret: string;
  otpauthUri: string;
  qrCode: string;
  algorithm: string;
  digits: number;
  period: number;
}

const DEVICE_NAME = /^[^\p{C}\p{Zl}\p{Zp}]{1,64}$/u;

/** 1–64 printable characters after trimming; control and format characters are refused, not stripped. */
export function parseDeviceName(input: string): string {
  const name = input.trim();
  if (!DEVICE_NAME.test(name)) throw new ApiError('invalid_request', 'deviceName must be 1 to 64 printable characters.');
  return name;
}

export async function registerDevice(deps: MfaDeps, user: User, deviceNameInput: string): Promise<RegisteredDevice> {
  const deviceName = parseDeviceName(deviceNameInput);
  const masterKey = requireMasterKey(deps.masterKey);
  const secret = generateSecret();
  const { algorithm, digits, period } = TOTP_PARAMETERS;
  const stored = await upsertPendingDevice(deps.store.db, {
    userId: user.id,
    deviceName,
    secretCiphertext: encryptSeed(masterKey, secret, user.id),
    algorithm,
    digits,
    periodSeconds: period,
    createdAt: deps.clock.now(),
  });
  if (!stored) throw new ApiError('mfa_device_exists');
  const uri = otpauthUri({ secret, accountName: user.username, issuer: OTPAUTH_ISSUER, algorithm, digits, periodSeconds: period });
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { deviceName, secret: base32Encode(secret), otpauthUri: uri, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`, algorithm, digits, period };
}

export async function activateDevice(deps: MfaDeps, user: User, passcode: string): Promise<{ activated: true; turnedOn: true; recoveryCodes: string[] }> {
  const device = await findDevice(deps.store.db, user.id);
  if (!device || isActivated(device)) throw new ApiError('mfa_device_not_found', 'No MFA device is waiting for activation; register one first.');
  const { recoveryCodes } = await withSecondFactor(deps, user, device, passcode, { acceptRecoveryCode: false, activate: true, refusal: 'wrong_passcode' }, async (trx, { atMs }) => {
    const audit = { user, deviceName: device.device_name, modifiedBy: user.username, eventDate: atMs };
    await recordAuditEvent(trx, { ...audit, action: 'MFA_ACTIVATION' });
    const codes = await replaceRecoveryCodes(trx, user.id, atMs);
    await recordAuditEvent(trx, { ...audit, action: 'MFA_RECOVERY_CODES_GENERATION' });
    return { recoveryCodes: codes };
  });
  return { activated: true, turnedOn: true, recoveryCodes };
}

export async function renameDevice(deps: MfaDeps, user: User, deviceNameInput: string): Promise<UserMfaStatus> {
  const deviceName = parseDeviceName(deviceNameInput);
  const nowMs = deps.clock.now();
  await deps.store.db.transaction().execute(async (trx) => {
    const result = await trx.updateTable('mfa_devices').set({ device_name: deviceName }).where('user_id', '=', user.id).executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new ApiError('mfa_device_not_found');
    await recordAuditEvent(trx, { user, action: 'MFA_DEVICE_NAME_UPDATE', deviceName, modifiedBy: user.username, eventDate: nowMs });
  });
  return getMfaStatus(deps.store, user);
}

export interface RemovalProof {
  password?: string;
  passcode?: string;
}

/** Removes the device (pending or activated) and the recovery codes; confirmed by password or by a code. */
export async function removeDevice(deps: MfaDeps, user: User, proof: RemovalProof): Promise<void> {
  if ((proof.password === undefined) === (proof.passcode === undefined)) throw new ApiError('invalid_request', 'Send either password or passcode.');
  const device = await findDevice(deps.store.db, user.id);
  if (!device) throw new ApiError('mfa_device_not_found');
  const remove = async (trx: typeof deps.store.db, atMs: number) => {
    await deleteMfaState(trx, user.id);
    if (isActivated(device)) await recordAuditEvent(trx, { user, action: 'MFA_DEACTIVATION', deviceName: device.device_name, modifiedBy: user.username, eventDate: atMs });
    return {};
  };
  if (proof.passcode !== undefined) {
    await withSecondFactor(deps, user, device, proof.passcode, { acceptRecoveryCode: true, refusal: 'wrong_passcode' }, (trx, { atMs }) => remove(trx, atMs));
    return;
  }
  if (!(await verifyPassword(proof.password!, user.passwordHash))) throw new ApiError('wrong_password');
  await deps.store.db.transaction().execute((trx) => remove(trx, deps.clock.now()));
}

/** CSP's PATCH …/mfa: only turnedOn changes, the password confirms it; needs an activated device. */
export async function setMfaTurnedOn(deps: MfaDeps, user: User, password: string | undefined, turnedOn: boolean): Promise<{ turnedOn: boolean }> {
  if (password === undefined || password === '') throw new ApiError('invalid_request', 'password is required.');
  const device = await findDevice(deps.store.db, user.id);
  if (!device || !isActivated(device)) throw new ApiError('mfa_device_not_found', 'MFA is not activated for this principal.');
  if (!(await verifyPassword(password, user.passwordHash))) throw new ApiError('wrong_password');
  const nowMs = deps.clock.now();
  await deps.store.db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('mfa_devices')
      .set({ turned_on: turnedOn ? 1 : 0 })
      .where('user_id', '=', user.id)
      .where('activated_at', 'is not', null)
      .where('turned_on', '=', turnedOn ? 0 : 1)
      .executeTakeFirst();
    // Already in the requested state: nothing changed, so nothing to audit.
    if (Number(result.numUpdatedRows) === 1) {
      await recordAuditEvent(trx, { user, action: turnedOn ? 'MFA_ENABLE' : 'MFA_DISABLE', deviceName: device.device_name, modifiedBy: user.username, eventDate: nowMs });
    }
  });
  return { turnedOn };
}

export async function regenerateRecoveryCodes(deps: MfaDeps, user: User, passcode: string): Promise<{ recoveryCodes: string[] }> {
  const device = await findDevice(deps.store.db, user.id);
  if (!device || !isActivated(device)) throw new ApiError('mfa_device_not_found', 'MFA is not activated for this principal.');
  const { recoveryCodes } = await withSecondFactor(deps, user, device, passcode, { acceptRecoveryCode: true, refusal: 'wrong_passcode' }, async (trx, { atMs }) => {
    const codes = await replaceRecoveryCodes(trx, user.id, atMs);
    await recordAuditEvent(trx, { user, action: 'MFA_RECOVERY_CODES_GENERATION', deviceName: device.device_name, modifiedBy: user.username, eventDate: atMs });
    return { recoveryCodes: codes };
  });
  return { recoveryCodes };
}
