// A principal's authenticators as one list: the TOTP device (CSP's one device) and its passkeys; rename and remove.
import { recordAuditEvent } from '../audit/record.js';
import { ApiError } from '../errors.js';
import { ANY_SECOND_FACTOR, type Confirmation, hasPassword, isGiven, removeDevice, requireStepUp, STEP_UP } from '../mfa/confirmed-operations.js';
import { deleteMfaState, isActivated } from '../mfa/device-store.js';
import { parseDeviceName, renameDevice } from '../mfa/devices.js';
import { confirmPassword } from '../mfa/password-check.js';
import { withSecondFactor } from '../mfa/second-factor.js';
import { holdMfaFloor } from '../orgs/policy-check.js';
import type { User } from '../principals/users.js';
import type { Device } from '../storage/repositories/devices.js';
import type { Repositories } from '../storage/repositories/index.js';
import type { WebauthnCredential } from '../storage/repositories/webauthn-credentials.js';
import { verifyPasskey } from './assertion.js';
import type { PasskeyDeps } from './deps.js';
import { type Authenticator, TOTP_AUTHENTICATOR_ID } from './dtos.js';

export const toTotpAuthenticator = (device: Device): Authenticator => ({
  id: TOTP_AUTHENTICATOR_ID,
  type: 'totp',
  name: device.deviceName,
  createdAt: device.createdAt,
  lastUsedAt: device.lastUsedStep === null ? null : device.lastUsedStep * device.periodSeconds * 1000,
});

export const toPasskeyAuthenticator = (c: WebauthnCredential): Authenticator => ({
  id: c.id,
  type: 'webauthn',
  name: c.name,
  createdAt: c.createdAt,
  lastUsedAt: c.lastUsedAt,
  backedUp: c.backedUp,
});

/** The activated TOTP device first (a pending one is not an authenticator yet), then passkeys, oldest first. */
export async function listAuthenticators(deps: Pick<PasskeyDeps, 'store'>, user: User): Promise<Authenticator[]> {
  const [device, passkeys] = await Promise.all([deps.store.devices.findByUser(user.id), deps.store.webauthnCredentials.listForUser(user.id)]);
  return [...(device && isActivated(device) ? [toTotpAuthenticator(device)] : []), ...passkeys.map(toPasskeyAuthenticator)];
}

export async function renameAuthenticator(deps: PasskeyDeps, user: User, id: string, nameInput: string): Promise<Authenticator> {
  if (id === TOTP_AUTHENTICATOR_ID) {
    await renameDevice(deps, user, nameInput);
    const device = await deps.store.devices.findByUser(user.id);
    if (!device) throw new ApiError('authenticator_not_found');
    return toTotpAuthenticator(device);
  }
  const name = parseDeviceName(nameInput);
  const nowMs = deps.clock.now();
  const renamed = await deps.store.transaction(async (trx) => {
    if (!(await trx.webauthnCredentials.rename(user.id, id, name))) return undefined;
    await recordAuditEvent(trx, { user, action: 'WEBAUTHN_NAME_UPDATE', deviceName: name, modifiedBy: user.username, eventDate: nowMs });
    return trx.webauthnCredentials.findById(user.id, id);
  });
  if (!renamed) throw new ApiError('authenticator_not_found');
  return toPasskeyAuthenticator(renamed);
}

/** What confirms a removal: the TOTP device's confirmation, or a passkey assertion answering a fresh challenge. */
export interface RemovalConfirmation extends Confirmation {
  webauthn?: unknown;
}

/** Deletes the passkey; the last authenticator of any kind takes the recovery codes and the failure count with it. */
async function deletePasskey(trx: Repositories, user: User, credential: WebauthnCredential, atMs: number): Promise<void> {
  await holdMfaFloor(trx, user, { removePasskey: credential.id });
  if (!(await trx.webauthnCredentials.delete(user.id, credential.id))) throw new ApiError('authenticator_not_found');
  await recordAuditEvent(trx, { user, action: 'WEBAUTHN_REMOVAL', deviceName: credential.name, modifiedBy: user.username, eventDate: atMs });
  const device = await trx.devices.findByUser(user.id);
  if ((device && isActivated(device)) || (await trx.webauthnCredentials.countForUser(user.id)) > 0) return;
  await deleteMfaState(trx, user.id);
  await recordAuditEvent(trx, { user, action: 'MFA_DEACTIVATION', deviceName: credential.name, modifiedBy: user.username, eventDate: atMs });
}

/**
 * Removes an authenticator with the step-up rules of removing the TOTP device: confirmed by a second factor
 * alone (a passcode or recovery code, or a passkey assertion), or by the password plus a token whose second
 * factor is recent. The TOTP device goes through CSP's own removal.
 */
export async function removeAuthenticator(deps: PasskeyDeps, user: User, id: string, proof: RemovalConfirmation): Promise<void> {
  const given = [isGiven(proof.password), proof.passcode !== undefined, proof.webauthn !== undefined].filter(Boolean).length;
  if (given > 1) throw new ApiError('invalid_request', 'Send one of password, passcode or webauthn.');
  if (id === TOTP_AUTHENTICATOR_ID) {
    // CSP's removal as it is; a passkey confirms it through the token (password plus a recent passkey sign-in).
    if (proof.webauthn !== undefined)
      throw new ApiError('invalid_request', 'Confirm removing the TOTP device with a passcode, or the password and a token from a recent sign-in.');
    if (!(await deps.store.devices.findByUser(user.id))) throw new ApiError('authenticator_not_found');
    return removeDevice(deps, user, proof);
  }
  const credential = await deps.store.webauthnCredentials.findById(user.id, id);
  if (!credential) throw new ApiError('authenticator_not_found');
  if (proof.webauthn !== undefined) {
    await verifyPasskey(deps, user, proof.webauthn, 'webauthn_refused', async (trx, { atMs }) => {
      await deletePasskey(trx, user, credential, atMs);
      return {};
    });
    return;
  }
  if (proof.passcode !== undefined) {
    // Without an activated TOTP device, only a recovery code is a passcode here.
    const device = await deps.store.devices.findByUser(user.id);
    await withSecondFactor(
      deps,
      user,
      device && isActivated(device) ? device : undefined,
      proof.passcode,
      { acceptRecoveryCode: true, refusal: 'wrong_passcode' },
      async (trx, { atMs }) => {
        await deletePasskey(trx, user, credential, atMs);
        return {};
      },
    );
    return;
  }
  if (hasPassword(user) && !isGiven(proof.password)) throw new ApiError('invalid_request', 'Send one of password, passcode or webauthn.');
  requireStepUp(deps, proof.token, ANY_SECOND_FACTOR, STEP_UP);
  if (isGiven(proof.password)) await confirmPassword(deps, user, credential.name, proof.password);
  await deps.store.transaction((trx) => deletePasskey(trx, user, credential, deps.clock.now()));
}
