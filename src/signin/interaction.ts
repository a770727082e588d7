// The sign-in in progress between the authorization request and the redirect back: sealed (AES-256-GCM
// under the master key) into a short-lived cookie, so any copy can continue it and nobody can read or
// change it. It also holds the CSRF token that every form of the sign-in pages must send back, and a random
// id that names the sign-in: once it finishes, that id is recorded (hashed) in the store, and no copy of any
// of its cookies reaches a step of it again, on any copy of the service.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hashSecret } from '../secrets/bearer-secrets.js';
import { openSecret, sealSecret } from '../secrets/sealed-box.js';
import type { Services } from '../services.js';
import type { AuthorizationRequest } from './authorization-request.js';

/** Ten minutes to type a password and a passcode; a sign-in left longer starts again at the application. */
export const INTERACTION_LIFETIME_SECONDS = 600;
const AAD = 'principal-mfa sign-in interaction';

export interface Interaction {
  /** Random, 144 bits: names this sign-in in the store once it has finished (finishInteraction). */
  id: string;
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
  return {
    id: randomBytes(18).toString('base64url'),
    request,
    csrf: randomBytes(24).toString('base64url'),
    expiresAt: services.clock.now() + INTERACTION_LIFETIME_SECONDS * 1000,
  };
}

export function sealInteraction(services: Services, interaction: Interaction): string {
  return sealSecret(services.masterKey, Buffer.from(JSON.stringify(interaction), 'utf8'), AAD);
}

/**
 * The interaction of this cookie, or undefined when it is absent, forged, tampered with or expired. A cookie
 * sealed before interactions had an id (an older release, at most ten minutes ago) cannot be finished once: refused.
 * Whether it has finished already is the store's answer (hasFinished).
 */
export function openInteraction(services: Services, cookieValue: string | undefined): Interaction | undefined {
  if (!cookieValue || cookieValue.length > 8192) return undefined;
  let interaction: Interaction;
  try {
    interaction = JSON.parse(Buffer.from(openSecret(services.masterKey, cookieValue, AAD)).toString('utf8')) as Interaction;
  } catch {
    return undefined;
  }
  if (typeof interaction.id !== 'string' || interaction.id === '') return undefined;
  return interaction.expiresAt > services.clock.now() ? interaction : undefined;
}

/** Whether this sign-in has finished already: its cookie is a copy, or the same post again. */
export async function hasFinished(services: Services, interaction: Interaction): Promise<boolean> {
  return services.store.finishedInteractions.isFinished(hashSecret(interaction.id));
}

/**
 * Finishes this sign-in, before anything is issued for it: true for the one request that does so first
 * (an atomic insert in the store), false when it had finished already. Kept until the cookie expires.
 */
export async function finishInteraction(services: Services, interaction: Interaction): Promise<boolean> {
  return services.store.finishedInteractions.markFinished(hashSecret(interaction.id), interaction.expiresAt, services.clock.now());
}

/** The form's CSRF token is the interaction's, compared in constant time. */
export function csrfMatches(interaction: Interaction, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  const expected = Buffer.from(interaction.csrf);
  const actual = Buffer.from(sent);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
