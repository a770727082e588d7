// Using a passkey as the second factor: request options with a stored challenge, then the verified assertion.
// verifyPasskey is the one entry point for every caller (the token exchange, step-up, a sign-in page), as
// withSecondFactor is for passcodes: same lockout, same audit, same refusal errors.
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse,
} from '@simplewebauthn/server';
import { parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import { recordAuditEvent } from '../audit/record.js';
import { ApiError } from '../errors.js';
import { clearFailures, lockedError, reserveAttempt } from '../mfa/lockout.js';
import type { SecondFactorDeps } from '../mfa/second-factor.js';
import type { User } from '../principals/users.js';
import type { Repositories } from '../storage/repositories/index.js';
import type { WebauthnCredential } from '../storage/repositories/webauthn-credentials.js';
import { issueChallenge, takeChallenge } from './challenges.js';
import type { RelyingParty } from './relying-party.js';
import { PasskeyRefusal } from './refusal.js';
import { readAuthenticationResponse } from './responses.js';

export interface PasskeyVerifyDeps extends SecondFactorDeps {
  relyingParty: RelyingParty;
}

export interface PasskeyVerified {
  /** RFC 8176: `swk` for a synced (backed-up) passkey, whose key leaves the device; `hwk` otherwise. */
  factor: 'hwk' | 'swk';
  atMs: number;
  credential: WebauthnCredential;
}

/** Options for navigator.credentials.get() over the principal's own credentials; undefined when it has none. */
export async function authenticationOptions(
  deps: Pick<PasskeyVerifyDeps, 'store' | 'clock' | 'relyingParty'>,
  user: Pick<User, 'id'>,
): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
  const credentials = await deps.store.webauthnCredentials.listForUser(user.id);
  if (credentials.length === 0) return undefined;
  const challenge = await issueChallenge(deps.store, user.id, 'authentication', deps.clock.now());
  return generateAuthenticationOptions({
    rpID: deps.relyingParty.id,
    // As bytes: the library base64url-encodes them into the very string stored (a string would be encoded once more).
    challenge: Buffer.from(challenge, 'base64url'),
    timeout: 300_000,
    userVerification: 'preferred',
    allowCredentials: credentials.map((c) => ({ id: c.credentialId, transports: c.transports })),
  });
}

/** The counter the assertion claims, for telling a cloned authenticator from another failure. */
function claimedCounter(response: AuthenticationResponseJSON): number | undefined {
  try {
    return parseAuthenticatorData(Buffer.from(response.response.authenticatorData, 'base64url')).counter;
  } catch {
    return undefined;
  }
}

/** WebAuthn §6.1.1: a counter that does not grow (when either side is not zero) means two copies of one key. */
const counterRegressed = (stored: number, claimed: number | undefined): boolean => claimed !== undefined && (claimed > 0 || stored > 0) && claimed <= stored;

async function verifyAgainst(deps: PasskeyVerifyDeps, trx: Repositories, user: User, input: unknown, nowMs: number): Promise<WebauthnCredential> {
  const { response, challenge } = readAuthenticationResponse(input);
  await takeChallenge(trx, challenge, user.id, 'authentication', nowMs);
  const credential = await trx.webauthnCredentials.findByCredentialId(response.rawId);
  // Unknown and another principal's credential get the same answer: whose key it is stays unsaid.
  if (!credential || credential.userId !== user.id || credential.credentialId !== response.id)
    throw new PasskeyRefusal('This passkey is not registered for this principal.');
  let result;
  try {
    result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: deps.relyingParty.origin,
      expectedRPID: deps.relyingParty.id,
      credential: { id: credential.credentialId, publicKey: Buffer.from(credential.publicKey, 'base64url'), counter: credential.signCount },
      // A key that verified its user at registration must keep doing so: no silent downgrade to presence only.
      requireUserVerification: credential.userVerified,
    });
  } catch (error) {
    if (counterRegressed(credential.signCount, claimedCounter(response)))
      throw new PasskeyRefusal('The sign counter went backwards: this may be a cloned authenticator.', true, credential.name);
    throw new PasskeyRefusal(`The passkey assertion did not verify: ${(error as Error).message}`.slice(0, 300));
  }
  if (!result.verified) throw new PasskeyRefusal('The passkey assertion did not verify.');
  const { newCounter, credentialBackedUp } = result.authenticationInfo;
  // Conditional on the counter we verified against: a concurrent use of the same key loses here.
  if (!(await trx.webauthnCredentials.recordUse(credential, { signCount: newCounter, backedUp: credentialBackedUp, atMs: nowMs })))
    throw new PasskeyRefusal('The sign counter went backwards: this may be a cloned authenticator.', true, credential.name);
  return { ...credential, signCount: newCounter, backedUp: credentialBackedUp, lastUsedAt: nowMs };
}

/**
 * Verifies a passkey assertion (an AuthenticationResponseJSON object, or that object as a JSON string) for
 * `user` and, only if it is accepted, runs `action` in the same transaction. Like a passcode: every attempt
 * counts toward the lockout until one succeeds; a refusal commits its count and audit event, then throws
 * `refusal` (403 on the MFA API, 401 at the token exchange); while locked, 429 and nothing is verified.
 */
export async function verifyPasskey<T extends object>(
  deps: PasskeyVerifyDeps,
  user: User,
  input: unknown,
  refusal: 'webauthn_refused' | 'invalid_webauthn',
  action: (trx: Repositories, verified: PasskeyVerified) => Promise<T> = async () => ({}) as T,
): Promise<T & { verified: PasskeyVerified }> {
  await deps.passcodeGuard?.(user.id);
  const nowMs = deps.clock.now();
  const outcome = await deps.store.transaction(async (trx) => {
    const reservation = await reserveAttempt(trx, user.id, nowMs, deps.lockout);
    if (!reservation.allowed) return { kind: 'locked' as const, retryAfterSeconds: reservation.retryAfterSeconds };
    let credential: WebauthnCredential;
    try {
      credential = await verifyAgainst(deps, trx, user, input, nowMs);
    } catch (error) {
      if (!(error instanceof PasskeyRefusal)) throw error;
      await recordAuditEvent(trx, {
        user,
        action: error.auditAction('authentication'),
        deviceName: error.deviceName,
        modifiedBy: user.username,
        eventDate: nowMs,
      });
      return { kind: 'refused' as const, message: error.message };
    }
    await clearFailures(trx, user.id);
    await recordAuditEvent(trx, { user, action: 'WEBAUTHN_AUTHENTICATION_SUCCESS', deviceName: credential.name, modifiedBy: user.username, eventDate: nowMs });
    const verified: PasskeyVerified = { factor: credential.backedUp ? 'swk' : 'hwk', atMs: nowMs, credential };
    return { kind: 'ok' as const, value: { ...(await action(trx, verified)), verified } };
  });
  if (outcome.kind === 'locked') deps.events.emit('mfa.locked_out', { userId: user.id });
  if (outcome.kind === 'locked') throw lockedError(outcome.retryAfterSeconds);
  if (outcome.kind === 'refused') deps.events.emit('webauthn.refused', { userId: user.id });
  if (outcome.kind === 'refused') throw new ApiError(refusal, outcome.message);
  return outcome.value;
}
