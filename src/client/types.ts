// Request and response shapes of the principal MFA API, as the client sees them. Shapes the server
// already defines are re-exported as types only (erased at build), so the client loads no server code.

/** GET …/principal/mfa/status, and the answer to a rename. */
export type { UserMfaStatus } from '../mfa/dtos.js';
/** POST …/mfa/device: the new, still pending device. The secret is shown only this once. */
export type { RegisteredDevice } from '../mfa/dtos.js';
/** The token service's AccessTokenDto. */
export type { AccessTokenDto as AccessTokenResponse } from '../tokens/dtos.js';

/** POST …/mfa/device/activate. */
export interface ActivatedDevice {
  activated: boolean;
  turnedOn: boolean;
  /** Ten single-use recovery codes, shown only now. */
  recoveryCodes: string[];
}

/** DELETE …/mfa/device: confirm with the password or a current passcode (or a recovery code). */
export type RemoveDeviceProof = { password: string; passcode?: undefined } | { passcode: string; password?: undefined };

/** PATCH …/mfa (CSP's UpdateMfaRequest / UpdateMfaResponse). */
export interface UpdateMfaRequest {
  password: string;
  turnedOn: boolean;
}
export interface UpdateMfaResponse {
  turnedOn: boolean;
}

export interface RecoveryCodes {
  recoveryCodes: string[];
}

export type MfaAuditAction =
  | 'MFA_ACTIVATION'
  | 'MFA_DEACTIVATION'
  | 'MFA_ENABLE'
  | 'MFA_DISABLE'
  | 'MFA_DEVICE_NAME_UPDATE'
  | 'MFA_AUTHENTICATION_SUCCESS'
  | 'MFA_AUTHENTICATION_FAILURE'
  | 'MFA_RECOVERY_CODE_AUTHENTICATION_SUCCESS'
  | 'MFA_RECOVERY_CODE_AUTHENTICATION_FAILURE'
  | 'MFA_RECOVERY_CODES_GENERATION'
  | 'AUTHENTICATION_WITHOUT_MFA'
  | 'PASSWORD_VERIFICATION_FAILURE'
  | 'MFA_UNLOCK';

/** POST …/mfa/audit (CSP's PrincipalMfaAuditLogRequest). Dates are epoch milliseconds. */
export interface AuditLogRequest {
  startDate: number;
  endDate: number;
  actions?: MfaAuditAction[];
  deviceNames?: string[];
  eventIds?: string[];
  /** 1-based (default 1). */
  pageStart?: number;
  /** Default 20, at most 200. */
  pageLimit?: number;
}

export interface MfaAuditLogEntry {
  action: MfaAuditAction;
  details: { deviceName?: string };
  eventDate: number;
  eventId: string;
  modifiedBy: string;
  username: string;
}

/** CSP's PagedPostResponseMfaAuditLogDto; results newest first. */
export interface AuditLogPage {
  itemsPerPage: number;
  results: MfaAuditLogEntry[];
  startIndex: number;
  totalResults: number;
}
