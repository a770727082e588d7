// The real MFA step of the API-token exchange: a passcode (or recovery code) when MFA is turned on.
import { recordAuditEvent } from '../audit/record.js';
import { ApiError } from '../errors.js';
import type { User } from '../principals/users.js';
import type { SignInGate, SignInProof } from '../tokens/sign-in-gate.js';
import { isActivated } from './device-store.js';
import { type SecondFactorDeps, withSecondFactor } from './second-factor.js';

export function createMfaSignInGate(deps: SecondFactorDeps): SignInGate {
  return {
    async check(user: User, passcode: string | undefined): Promise<SignInProof | undefined> {
      const device = await deps.store.devices.findByUser(user.id);
      if (!device || !isActivated(device) || !device.turnedOn) {
        // MFA off: a passcode sent anyway is ignored, as it proves nothing CSP would require.
        await recordAuditEvent(deps.store, {
          user,
          action: 'AUTHENTICATION_WITHOUT_MFA',
          deviceName: device && isActivated(device) ? device.deviceName : null,
          modifiedBy: user.username,
          eventDate: deps.clock.now(),
        });
        return undefined;
      }
      // Asking is not guessing: a missing passcode neither counts toward the lockout nor is audited.
      if (passcode === undefined) throw new ApiError('mfa_required');
      const { verified } = await withSecondFactor(deps, user, device, passcode, { acceptRecoveryCode: true, refusal: 'invalid_passcode' }, async () => ({}));
      return { amr: [verified.factor], authTime: Math.floor(verified.atMs / 1000) };
    },
  };
}
