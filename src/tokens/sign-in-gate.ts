// The MFA step of an API-token exchange. The MFA feature supplies the real gate; this is its contract.
import type { User } from '../principals/users.js';

export interface SignInProof {
  /** How the principal authenticated, for the `amr` claim (RFC 8176): ['otp'], ['recovery_code'], ['hwk'] or ['swk'] (a passkey). */
  amr: string[];
  /** Epoch seconds of that MFA verification, for `auth_time`. */
  authTime: number;
}

export interface SignInGate {
  /**
   * Called after the API token is known good. Returns the MFA proof when MFA was verified,
   * undefined when the principal has MFA turned off, and throws ApiError (mfa_required,
   * invalid_passcode, invalid_webauthn, lockout) otherwise. `webauthn`: an AuthenticationResponseJSON string
   * answering a challenge from POST …/auth/webauthn/challenge, instead of the passcode.
   */
  check(user: User, passcode: string | undefined, clientAddress: string, webauthn?: string): Promise<SignInProof | undefined>;
}
