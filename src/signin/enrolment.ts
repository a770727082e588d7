// Enrolment inside the sign-in: a person who must show a second factor and has none sets up a TOTP device
// between the password step and the redirect back. The device lifecycle's own functions do the work
// (mfa/devices.ts: pending device, activation with a passcode, recovery codes, audit, lockout, replay guard).
import { createHash } from 'node:crypto';
import { ApiError } from '../errors.js';
import { isActivated } from '../mfa/device-store.js';
import { mfaDeps } from '../mfa/device-routes.js';
import { activateDevice, createPendingDevice, describePendingDevice } from '../mfa/devices.js';
import type { RegisteredDevice } from '../mfa/dtos.js';
import { listActivatedAuthenticators } from '../orgs/authenticators.js';
import { checkMfaPolicy } from '../orgs/policy-check.js';
import type { User } from '../principals/users.js';
import type { Services } from '../services.js';
import { signInAmr } from './assurance.js';
import type { AuthorizationRequest } from './authorization-request.js';
import type { Interaction } from './interaction.js';

/** The name the device gets; the person can rename it on /mfa. */
export const ENROLMENT_DEVICE_NAME = 'Authenticator app';

/** Why this sign-in must enrol: the application asked for the MFA class, or the organization's grace period is over. */
export type EnrolmentReason = 'acr_values' | 'policy';

/** The organization policy's refusal of a sign-in with this amr (mfa_enrollment_required), or undefined when it passes. */
export async function policyRefusal(services: Services, user: User, amr: string[]): Promise<ApiError | undefined> {
  try {
    await checkMfaPolicy(services, user, 'signIn', amr);
    return undefined;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
}

/**
 * Why this principal, past the password step, must enrol now; undefined when enrolment is not for it. Never
 * for a principal holding any activated authenticator (a TOTP device, even switched off, or a passkey): the
 * password alone must not add a factor to an account that has one. Only when a TOTP code satisfies the
 * organization's policy (it may accept passkeys only; then the sign-in page's refusal stands).
 */
export async function enrolmentReason(services: Services, user: User, request: AuthorizationRequest): Promise<EnrolmentReason | undefined> {
  if ((await listActivatedAuthenticators(services.store, user.id)).count > 0) return undefined;
  if (await policyRefusal(services, user, signInAmr(['otp']))) return undefined;
  if (request.mfaRequired) return 'acr_values';
  const refusal = await policyRefusal(services, user, signInAmr(undefined));
  return refusal?.code === 'mfa_enrollment_required' ? 'policy' : undefined;
}

/** Names the pending device a sign-in showed, without keeping its secret: the sealed seed is random per device. */
const fingerprintOf = (secretCiphertext: string): string => createHash('sha256').update(secretCiphertext).digest('base64url');

/**
 * The device the enrolment page shows: the pending one this sign-in made (a reload shows the same secret),
 * else a new pending device, replacing any other pending one exactly as registering on /mfa does.
 */
export async function deviceToShow(services: Services, user: User, interaction: Interaction): Promise<{ device: RegisteredDevice; interaction: Interaction }> {
  const pending = await services.store.devices.findByUser(user.id);
  if (pending && !isActivated(pending) && interaction.enrolment?.device === fingerprintOf(pending.secretCiphertext))
    return { device: await describePendingDevice(mfaDeps(services), user, pending), interaction };
  const created = await createPendingDevice(mfaDeps(services), user, ENROLMENT_DEVICE_NAME);
  return { device: created.registered, interaction: { ...interaction, enrolment: { device: fingerprintOf(created.secretCiphertext) } } };
}

/**
 * Activates the device this sign-in showed with its first passcode (activateDevice: lockout, replay guard,
 * audit, recovery codes). The passcode proves possession of the new device: the sign-in's second factor, `otp`.
 */
export async function activateShownDevice(
  services: Services,
  user: User,
  interaction: Interaction,
  passcode: string,
): Promise<{ amr: string[]; recoveryCodes: string[] }> {
  const pending = await services.store.devices.findByUser(user.id);
  // Replaced since the page was shown (another tab, the /mfa page): that device's secret was never shown here.
  if (!pending || isActivated(pending) || interaction.enrolment?.device !== fingerprintOf(pending.secretCiphertext)) throw new ApiError('mfa_device_not_found');
  const { recoveryCodes } = await activateDevice(mfaDeps(services), user, passcode);
  return { amr: signInAmr(['otp']), recoveryCodes };
}
