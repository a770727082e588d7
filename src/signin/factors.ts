// The second factors the sign-in page offers, as a list: each says whether a user has it, how its form
// looks, and how to verify what was sent. A further authenticator (a passkey) is one more entry.
import { isActivated } from '../mfa/device-store.js';
import type { User } from '../principals/users.js';
import type { Services } from '../services.js';
import { ApiError } from '../errors.js';
import type { FormBody } from '../http/form-body.js';

export interface FieldSpec {
  /** The form field's name: a contract that tests outside this repository use (`passcode`). */
  name: string;
  label: string;
  hint: string;
  autocomplete: string;
  inputmode?: string;
  maxLength: number;
}

export interface SecondFactor {
  /** Sent back as the form's `factor` field. */
  id: string;
  /** Heading of its section on the page. */
  title: string;
  fields: FieldSpec[];
  /** The form field its refusals are shown next to (the first field's, or a hidden one's). */
  errorField: string;
  /**
   * A passkey: the form carries a hidden `webauthn` field that the page's script fills with the
   * AuthenticationResponseJSON of navigator.credentials.get() before posting (public/signin/passkey.js).
   */
  webauthn?: { hint: string };
  submitLabel: string;
  isOffered(services: Services, user: User): Promise<boolean>;
  /**
   * The amr values of a verified factor; throws the ApiError of a refusal (invalid_passcode, mfa_locked, …).
   * Lockout, replay guard, per-principal attempt limit and audit are those of the API-token exchange.
   */
  verify(services: Services, user: User, form: FormBody, clientAddress: string): Promise<string[]>;
}

/** TOTP passcode or recovery code, through the API-token exchange's own MFA gate. */
const totp: SecondFactor = {
  id: 'otp',
  title: 'Passcode',
  fields: [
    {
      name: 'passcode',
      label: 'Passcode or recovery code',
      hint: 'The 6-digit code from your authenticator app, or one of your recovery codes.',
      autocomplete: 'one-time-code',
      maxLength: 64,
    },
  ],
  errorField: 'passcode',
  submitLabel: 'Verify',
  async isOffered(services, user) {
    const device = await services.store.devices.findByUser(user.id);
    return device !== undefined && isActivated(device) && device.turnedOn;
  },
  async verify(services, user, form, clientAddress) {
    // Asking is not guessing: an empty field neither counts toward the lockout nor is audited, as at the exchange.
    const passcode = form.passcode?.trim() || undefined;
    if (passcode === undefined) throw new ApiError('mfa_required');
    const proof = await services.signInGate.check(user, passcode, clientAddress);
    // MFA turned off between the two steps: nothing was verified, and the sign-in is a password one.
    return proof?.amr ?? [];
  },
};

/**
 * Whether the gate will ask this user for a passkey: MFA is on (the activated TOTP device's switch, else a
 * registered passkey turns it on, docs/passkeys.md) and a passkey is registered.
 */
async function passkeyMfaOn(services: Services, user: User): Promise<{ on: boolean; totpActivated: boolean }> {
  const device = await services.store.devices.findByUser(user.id);
  const totpActivated = device !== undefined && isActivated(device);
  const hasPasskeys = (await services.store.webauthnCredentials.countForUser(user.id)) > 0;
  return { on: hasPasskeys && (totpActivated ? device.turnedOn : true), totpActivated };
}

/** A passkey: the assertion goes through the API-token exchange's gate, so verifyPasskey's lockout, audit and sign-count checks. */
const passkey: SecondFactor = {
  id: 'passkey',
  title: 'Passkey',
  fields: [],
  errorField: 'webauthn',
  webauthn: { hint: 'Use the passkey or security key you registered for this account.' },
  submitLabel: 'Use a passkey',
  async isOffered(services, user) {
    return (await passkeyMfaOn(services, user)).on;
  },
  async verify(services, user, form, clientAddress) {
    const webauthn = form.webauthn?.trim() || undefined;
    // No assertion (script blocked or the prompt never ran): nothing was tried, so nothing is counted.
    if (webauthn === undefined) throw new ApiError('mfa_required', 'Use your passkey when the browser asks for it.');
    const proof = await services.signInGate.check(user, undefined, clientAddress, webauthn);
    return proof?.amr ?? [];
  },
};

/** A recovery code for a principal with passkeys only (no TOTP device, so the passcode section is not shown). */
const recoveryCode: SecondFactor = {
  id: 'recovery',
  title: 'Recovery code',
  fields: [
    {
      name: 'passcode',
      label: 'Recovery code',
      hint: 'One of the recovery codes you saved when you added your first passkey.',
      autocomplete: 'one-time-code',
      maxLength: 64,
    },
  ],
  errorField: 'passcode',
  submitLabel: 'Verify',
  async isOffered(services, user) {
    const { on, totpActivated } = await passkeyMfaOn(services, user);
    return on && !totpActivated;
  },
  verify: totp.verify,
};

/** In page order. A post without `factor` is the first one's (`passcode`, the field contract). */
export const SECOND_FACTORS: readonly SecondFactor[] = [totp, passkey, recoveryCode];

export async function offeredFactors(services: Services, user: User): Promise<SecondFactor[]> {
  const offered: SecondFactor[] = [];
  for (const factor of SECOND_FACTORS) if (await factor.isOffered(services, user)) offered.push(factor);
  return offered;
}
