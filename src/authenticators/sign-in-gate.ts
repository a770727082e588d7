// The MFA step of the API-token exchange over every authenticator: a passkey assertion (form field `webauthn`)
// stands in for the passcode; a principal with passkeys only has MFA on and may also use a recovery code.
import { recordAuditEvent } from '../audit/record.js';
import { ApiError } from '../errors.js';
import { isActivated } from '../mfa/device-store.js';
import { withSecondFactor } from '../mfa/second-factor.js';
import type { User } from '../principals/users.js';
import type { SignInGate, SignInProof } from '../tokens/sign-in-gate.js';
import { type PasskeyVerifyDeps, verifyPasskey } from './assertion.js';

const MISSING = 'MFA is turned on for this principal: send a passkey assertion (webauthn) or a passcode.';

/** Wraps the TOTP gate: it still decides (and audits) everything where passkeys play no part. */
export function createPasskeySignInGate(deps: PasskeyVerifyDeps, totpGate: SignInGate): SignInGate {
  return {
    async check(user: User, passcode: string | undefined, clientAddress: string, webauthn?: string): Promise<SignInProof | undefined> {
      const device = await deps.store.devices.findByUser(user.id);
      const totpActivated = device !== undefined && isActivated(device);
      const hasPasskeys = (await deps.store.webauthnCredentials.countForUser(user.id)) > 0;
      // MFA is on: the activated TOTP device's switch, else while a passkey is registered (docs/passkeys.md).
      const mfaOn = totpActivated ? device.turnedOn : hasPasskeys;
      if (!mfaOn || (webauthn === undefined && totpActivated)) return totpGate.check(user, passcode, clientAddress);
      if (webauthn !== undefined && passcode !== undefined)
        throw new ApiError('invalid_request', 'invalid_request: Send either passcode or webauthn, not both.');
      if (webauthn !== undefined) {
        if (!hasPasskeys) {
          // Counted and audited like any refused second factor: a guess is a guess.
          await recordAuditEvent(deps.store, {
            user,
            action: 'WEBAUTHN_AUTHENTICATION_FAILURE',
            deviceName: null,
            modifiedBy: user.username,
            eventDate: deps.clock.now(),
          });
          throw new ApiError('invalid_webauthn', 'No passkey is registered for this principal: send the passcode.');
        }
        const { verified } = await verifyPasskey(deps, user, webauthn, 'invalid_webauthn');
        return { amr: [verified.factor], authTime: Math.floor(verified.atMs / 1000) };
      }
      // Passkeys only, and no assertion: a recovery code is the one other way in.
      if (passcode === undefined) throw new ApiError('mfa_required', MISSING);
      const { verified } = await withSecondFactor(deps, user, undefined, passcode, { acceptRecoveryCode: true, refusal: 'invalid_passcode' }, async () => ({}));
      return { amr: [verified.factor], authTime: Math.floor(verified.atMs / 1000) };
    },
  };
}
