// What the passkey feature needs: the MFA dependencies (store, clock, lockout, step-up) and the relying party.
import type { MfaDeps } from '../mfa/devices.js';
import type { RelyingParty } from './relying-party.js';

export interface PasskeyDeps extends MfaDeps {
  relyingParty: RelyingParty;
}

/** COSE algorithms offered at registration: EdDSA, ES256, RS256 (WebAuthn Level 3 §5.4.3 recommends these). */
export const SUPPORTED_ALGORITHMS = [-8, -7, -257];
