// The sign-in in progress between the authorization request and the redirect back: sealed (AES-256-GCM
// under the master key) into a short-lived cookie, so any copy can continue it and nobody can read or
// change it. It also holds the CSRF token that every form of the sign-in pages must send back.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { openSecret, sealSecret } from '../secrets/sealed-box.js';
import type { Services } from '../services.js';
import type { AuthorizationRequest } from './authorization-request.js';

/** Ten minutes to type a password and a passcode; a sign-in left longer starts again at the application. */
export const INTERACTION_LIFETIME_SECONDS = 600;
const AAD = 'principal-mfa sign-in interaction';

export interface Interaction {
  request: AuthorizationRequest;
  csrf: string;
  /** Epoch ms. */
  expiresAt: number;
  /** Set once the password was right: the second step is for this user only. */
  userId?: string;
  /** Epoch seconds of the password check: the sign-in's auth_time. */
  passwordAt?: number;
  /** Enrolment inside the sign-in (enrolment.ts): a hash naming the pending device its page showed. */
  enrolment?: { device: string };
  /** Set once that device was activated: the sign-in's amr, waiting for the person to continue. */
  enrolled?: { amr: string[] };
}

export function newInteraction(services: Services, request: AuthorizationRequest): Interaction {
  return { request, csrf: randomBytes(24).toString('base64url'), expiresAt: services.clock.now() + INTERACTION_LIFETIME_SECONDS * 1000 };
}

export function sealInteraction(services: Services, interaction: Interaction): string {
  return sealSecret(services.masterKey, Buffer.from(JSON.stringify(interaction), 'utf8'), AAD);
}

/** The interaction of this cookie, or undefined when it is absent, forged, tampered with or expired. */
export function openInteraction(services: Services, cookieValue: string | undefined): Interaction | undefined {
  if (!cookieValue || cookieValue.length > 8192) return undefined;
  let interaction: Interaction;
  try {
    interaction = JSON.parse(Buffer.from(openSecret(services.masterKey, cookieValue, AAD)).toString('utf8')) as Interaction;
  } catch {
    return undefined;
  }
  return interaction.expiresAt > services.clock.now() ? interaction : undefined;
}

/** The form's CSRF token is the interaction's, compared in constant time. */
export function csrfMatches(interaction: Interaction, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  const expected = Buffer.from(interaction.csrf);
  const actual = Buffer.from(sent);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
