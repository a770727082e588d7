// The MFA step of an API-token exchange. The MFA feature supplies the real gate; this is its contract.
import type { User } from '../principals/users.js';

export interface SignInProof {
  /** How the principal authenticated, for the `amr` claim: ['otp'] or ['recovery_code']. */
  amr: string[];
  /** Epoch seconds of that MFA verification, for `auth_time`. */
  authTime: number;
}

export interface SignInGate {
  /**
   * Called after the API token is known good. Returns the MFA proof when MFA was verified,
   * undefined when the principal has MFA turned off, and throws ApiError (mfa_required,
   * invalid_passcode, lockout) otherwise.
   */
  check(user: User, passcode: string | undefined, clientAddress: string): Promise<SignInProof | undefined>;
}
