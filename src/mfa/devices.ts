// The MFA device lifecycle: register (pending), activate with a first code, rename (remove and on/off: confirmed-operations.ts).
import QRCode from 'qrcode';
import { recordAuditEvent } from '../audit/record.js';
import { ApiError } from '../errors.js';
import type { User } from '../principals/users.js';
import { type Device, isActivated, replaceRecoveryCodes } from './device-store.js';
import { requireMasterKey, type SecondFactorDeps, withSecondFactor } from './second-factor.js';
import { decryptSeed, encryptSeed } from './seed-crypto.js';
import { getMfaStatus } from './status.js';
import type { RegisteredDevice, UserMfaStatus } from './dtos.js';
import { base32Encode } from './base32.js';
import { generateSecret, otpauthUri } from './totp.js';

/** Shown in authenticator apps next to the account name. */
export const OTPAUTH_ISSUER = 'principal-mfa';
export const TOTP_PARAMETERS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

export interface MfaDeps extends SecondFactorDeps {
  /** RFC 9470 step-up: how old the token's second factor may be for the operations that need a recent one. */
  stepUpMaxAgeSeconds: number;
}

const DEVICE_NAME = /^[^\p{C}\p{Zl}\p{Zp}]{1,64}$/u;

/** 1–64 printable characters after trimming; control and format characters are refused, not stripped. */
export function parseDeviceName(input: string): string {
  const name = input.trim();
  if (!DEVICE_NAME.test(name)) throw new ApiError('invalid_request', 'deviceName must be 1 to 64 printable characters.');
  return name;
}

export async function registerDevice(deps: MfaDeps, user: User, deviceNameInput: string): Promise<RegisteredDevice> {
  return (await createPendingDevice(deps, user, deviceNameInput)).registered;
}

/**
 * registerDevice, also telling the pending device's sealed seed (random per device): the sign-in's enrolment step
 * remembers a hash of it, to show the same secret again (describePendingDevice) and to activate only that device.
 */
export async function createPendingDevice(
  deps: MfaDeps,
  user: User,
  deviceNameInput: string,
): Promise<{ registered: RegisteredDevice; secretCiphertext: string }> {
  const deviceName = parseDeviceName(deviceNameInput);
  const masterKey = requireMasterKey(deps.masterKey);
  const secret = generateSecret();
  const { algorithm, digits, period } = TOTP_PARAMETERS;
  const secretCiphertext = encryptSeed(masterKey, secret, user.id);
  const stored = await deps.store.devices.upsertPending({
    userId: user.id,
    deviceName,
    secretCiphertext,
    algorithm,
    digits,
    periodSeconds: period,
    createdAt: deps.clock.now(),
  });
  if (!stored) throw new ApiError('mfa_device_exists');
  return { registered: await describeDevice(user, deviceName, secret), secretCiphertext };
}

/** A pending device's secret, URI and QR code again (the seed decrypted from its row), as registerDevice showed them. */
export async function describePendingDevice(deps: Pick<MfaDeps, 'masterKey'>, user: User, device: Device): Promise<RegisteredDevice> {
  if (isActivated(device)) throw new ApiError('mfa_device_exists');
  return describeDevice(user, device.deviceName, decryptSeed(requireMasterKey(deps.masterKey), device.secretCiphertext, user.id));
}

async function describeDevice(user: User, deviceName: string, secret: Uint8Array): Promise<RegisteredDevice> {
  const { algorithm, digits, period } = TOTP_PARAMETERS;
  const uri = otpauthUri({ secret, accountName: user.username, issuer: OTPAUTH_ISSUER, algorithm, digits, periodSeconds: period });
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return {
    deviceName,
    secret: base32Encode(secret),
    otpauthUri: uri,
    qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`,
    algorithm,
    digits,
    period,
  };
}

export async function activateDevice(deps: MfaDeps, user: User, passcode: string): Promise<{ activated: true; turnedOn: true; recoveryCodes: string[] }> {
  const device = await deps.store.devices.findByUser(user.id);
  if (!device || isActivated(device)) throw new ApiError('mfa_device_not_found', 'No MFA device is waiting for activation; register one first.');
  const { recoveryCodes } = await withSecondFactor(
    deps,
    user,
    device,
    passcode,
    { acceptRecoveryCode: false, activate: true, refusal: 'wrong_passcode' },
    async (trx, { atMs }) => {
      const audit = { user, deviceName: device.deviceName, modifiedBy: user.username, eventDate: atMs };
      await recordAuditEvent(trx, { ...audit, action: 'MFA_ACTIVATION' });
      // Recovery codes come with the first authenticator of any kind: a principal with passkeys keeps its set.
      if ((await trx.webauthnCredentials.countForUser(user.id)) > 0) return { recoveryCodes: [] };
      const codes = await replaceRecoveryCodes(trx, user.id, atMs);
      await recordAuditEvent(trx, { ...audit, action: 'MFA_RECOVERY_CODES_GENERATION' });
      return { recoveryCodes: codes };
    },
  );
  deps.events.emit('mfa.activated', { userId: user.id });
  return { activated: true, turnedOn: true, recoveryCodes };
}

export async function renameDevice(deps: MfaDeps, user: User, deviceNameInput: string): Promise<UserMfaStatus> {
  const deviceName = parseDeviceName(deviceNameInput);
  const nowMs = deps.clock.now();
  await deps.store.transaction(async (trx) => {
    if (!(await trx.devices.rename(user.id, deviceName))) throw new ApiError('mfa_device_not_found');
    await recordAuditEvent(trx, { user, action: 'MFA_DEVICE_NAME_UPDATE', deviceName, modifiedBy: user.username, eventDate: nowMs });
  });
  return getMfaStatus(deps.store, user);
}
