// Why a passkey registration or assertion was refused: the reason is shown to the client (it names no secret),
// and the audit action says what kind of refusal it was.
import type { AuditAction } from '../audit/record.js';

export class PasskeyRefusal extends Error {
  constructor(
    message: string,
    /** The sign counter went backwards: a cloned authenticator, audited as such. */
    readonly counterRegressed = false,
    /** The name of the credential concerned, when it is known (the audit event's deviceName). */
    readonly deviceName: string | null = null,
  ) {
    super(message);
    this.name = 'PasskeyRefusal';
  }

  auditAction(kind: 'registration' | 'authentication'): AuditAction {
    if (this.counterRegressed) return 'WEBAUTHN_SIGN_COUNT_REGRESSION';
    return kind === 'registration' ? 'WEBAUTHN_REGISTRATION_FAILURE' : 'WEBAUTHN_AUTHENTICATION_FAILURE';
  }
}
