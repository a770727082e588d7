// Writing MFA audit events; callers pass their transaction so an event commits with the change it describes.
import type { Repositories } from '../storage/repositories/index.js';

/** CSP's audit actions (PrincipalMfaAuditLogRequest.actions), then this service's own two. */
export const AUDIT_ACTIONS = [
  'MFA_ACTIVATION',
  'MFA_DEACTIVATION',
  'MFA_ENABLE',
  'MFA_DISABLE',
  'MFA_DEVICE_NAME_UPDATE',
  'MFA_AUTHENTICATION_SUCCESS',
  'MFA_AUTHENTICATION_FAILURE',
  'MFA_RECOVERY_CODE_AUTHENTICATION_SUCCESS',
  'MFA_RECOVERY_CODE_AUTHENTICATION_FAILURE',
  'MFA_RECOVERY_CODES_GENERATION',
  'AUTHENTICATION_WITHOUT_MFA',
  // Ours: a wrong password confirming an MFA operation (it counts toward the lockout), and an admin unlock.
  'PASSWORD_VERIFICATION_FAILURE',
  'MFA_UNLOCK',
  // Ours (issue 12): passkeys and security keys, beside CSP's device events.
  'WEBAUTHN_REGISTRATION',
  'WEBAUTHN_REGISTRATION_FAILURE',
  'WEBAUTHN_NAME_UPDATE',
  'WEBAUTHN_REMOVAL',
  'WEBAUTHN_AUTHENTICATION_SUCCESS',
  'WEBAUTHN_AUTHENTICATION_FAILURE',
  'WEBAUTHN_SIGN_COUNT_REGRESSION',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** `modifiedBy` of changes made with the admin CLI. */
export const ADMIN_ACTOR = 'admin';

export interface AuditEventInput {
  user: { id: string; username: string };
  action: AuditAction;
  deviceName?: string | null;
  /** The principal's username, or ADMIN_ACTOR. */
  modifiedBy: string;
  eventDate: number;
}

/** `repos` is the transaction of the change the event describes (or the store, for an event that is the only write). */
export function recordAuditEvent(repos: Pick<Repositories, 'audit'>, event: AuditEventInput): Promise<void> {
  const { user, action, deviceName, modifiedBy, eventDate } = event;
  return repos.audit.record({ userId: user.id, username: user.username, action, deviceName: deviceName ?? null, modifiedBy, eventDate });
}
