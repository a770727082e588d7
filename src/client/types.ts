// Request and response shapes of the principal MFA API, as the client sees them (no server imports,
// so the client stays a self-contained, dependency-free part of the package).

/** GET …/principal/mfa/status, and the answer to a rename. */
export interface UserMfaStatus {
  activated: boolean;
  deviceName?: string;
  turnedOn: boolean;
  username: string;
}

/** POST …/mfa/device: the new, still pending device. The secret is shown only this once. */
export interface RegisteredDevice {
  deviceName: string;
  /** Base32 TOTP secret for manual entry in an authenticator. */
  secret: string;
  otpauthUri: string;
  /** data: URI of the QR code of otpauthUri. */
  qrCode: string;
  algorithm: string;
  digits: number;
  period: number;
}

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
  | 'AUTHENTICATION_WITHOUT_MFA';

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

/** The token service's AccessTokenDto. */
export interface AccessTokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
  issued_token_type: string;
}
