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

export const SECOND_FACTORS: readonly SecondFactor[] = [totp];

export async function offeredFactors(services: Services, user: User): Promise<SecondFactor[]> {
  const offered: SecondFactor[] = [];
  for (const factor of SECOND_FACTORS) if (await factor.isOffered(services, user)) offered.push(factor);
  return offered;
}
