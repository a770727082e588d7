// Registering a passkey or security key: creation options with a stored challenge, then the verified response.
import { randomUUID } from 'node:crypto';
import {
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type RegistrationResponseJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { recordAuditEvent } from '../audit/record.js';
import { ApiError } from '../errors.js';
import { isActivated, replaceRecoveryCodes } from '../mfa/device-store.js';
import { parseDeviceName } from '../mfa/devices.js';
import type { User } from '../principals/users.js';
import type { WebauthnCredential } from '../storage/repositories/webauthn-credentials.js';
import { issueChallenge, takeChallenge } from './challenges.js';
import { type PasskeyDeps, SUPPORTED_ALGORITHMS } from './deps.js';
import { PasskeyRefusal } from './refusal.js';
import { readRegistrationResponse } from './responses.js';

/** What a registration answers: the new authenticator, and recovery codes when it is the first of any kind. */
export interface Registered {
  credential: WebauthnCredential;
  recoveryCodes?: string[];
}

export async function registrationOptions(deps: PasskeyDeps, user: User, nameInput: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const name = parseDeviceName(nameInput);
  const existing = await deps.store.webauthnCredentials.listForUser(user.id);
  const challenge = await issueChallenge(deps.store, user.id, 'registration', deps.clock.now(), name);
  return generateRegistrationOptions({
    rpName: deps.relyingParty.name,
    rpID: deps.relyingParty.id,
    userName: user.username,
    userDisplayName: user.username,
    // The user handle: our opaque id, never the username (authenticators may show or sync it).
    userID: new TextEncoder().encode(user.id),
    // As bytes: the library base64url-encodes them into the very string stored (a string would be encoded once more).
    challenge: Buffer.from(challenge, 'base64url'),
    timeout: 300_000,
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
}

async function verify(deps: PasskeyDeps, response: RegistrationResponseJSON, challenge: string) {
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: deps.relyingParty.origin,
      expectedRPID: deps.relyingParty.id,
      requireUserPresence: true,
      requireUserVerification: false,
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
    if (!result.verified) throw new PasskeyRefusal('The registration response did not verify.');
    return result.registrationInfo;
  } catch (error) {
    if (error instanceof PasskeyRefusal) throw error;
    // The library's reasons (wrong origin, RP ID hash, missing flags, bad CBOR, bad attestation) name no secret.
    throw new PasskeyRefusal(`The registration response did not verify: ${(error as Error).message}`.slice(0, 300));
  }
}

/**
 * Verifies the response to a registration challenge and stores the credential under the name given with the
 * options. A refusal still commits its audit event and spends the challenge, then answers 400.
 */
export async function registerPasskey(deps: PasskeyDeps, user: User, input: unknown): Promise<Registered> {
  const nowMs = deps.clock.now();
  const outcome = await deps.store.transaction(async (trx) => {
    try {
      const { response, challenge } = readRegistrationResponse(input);
      const { name } = await takeChallenge(trx, challenge, user.id, 'registration', nowMs);
      const info = await verify(deps, response, challenge);
      const credential: WebauthnCredential = {
        id: randomUUID(),
        userId: user.id,
        name: name ?? 'Passkey',
        credentialId: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        signCount: info.credential.counter,
        transports: info.credential.transports ?? [],
        aaguid: info.aaguid,
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
        userVerified: info.userVerified,
        createdAt: nowMs,
        lastUsedAt: null,
      };
      const device = await trx.devices.findByUser(user.id);
      const firstAuthenticator = !(device && isActivated(device)) && (await trx.webauthnCredentials.countForUser(user.id)) === 0;
      if (!(await trx.webauthnCredentials.insert(credential))) throw new PasskeyRefusal('This authenticator is already registered.');
      const audit = { user, deviceName: credential.name, modifiedBy: user.username, eventDate: nowMs };
      await recordAuditEvent(trx, { ...audit, action: 'WEBAUTHN_REGISTRATION' });
      if (!firstAuthenticator) return { kind: 'ok' as const, registered: { credential } };
      // The first authenticator of any kind turns MFA on and brings recovery codes, as a TOTP activation does.
      const recoveryCodes = await replaceRecoveryCodes(trx, user.id, nowMs);
      await recordAuditEvent(trx, { ...audit, action: 'MFA_RECOVERY_CODES_GENERATION' });
      return { kind: 'ok' as const, registered: { credential, recoveryCodes } };
    } catch (error) {
      if (!(error instanceof PasskeyRefusal)) throw error;
      await recordAuditEvent(trx, { user, action: error.auditAction('registration'), deviceName: null, modifiedBy: user.username, eventDate: nowMs });
      return { kind: 'refused' as const, message: error.message };
    }
  });
  if (outcome.kind === 'refused') throw new ApiError('webauthn_registration_refused', outcome.message);
  if (outcome.registered.recoveryCodes) deps.events.emit('mfa.activated', { userId: user.id });
  return outcome.registered;
}
