// The one error table: every error code the service can answer with, its HTTP status,
// CSP moduleCode / cspErrorCode and default message. docs/errors.md is kept in sync by a test.

/** Module codes group errors by the part of the service that raised them. */
export const MODULE = { gateway: 540, tokens: 541, mfa: 542, audit: 543, orgs: 544 } as const;

interface ErrorSpec {
  status: number;
  moduleCode: number;
  cspErrorCode: string;
  message: string;
}

function spec(status: number, moduleCode: number, serial: number, message: string): ErrorSpec {
  return { status, moduleCode, cspErrorCode: `${moduleCode}.${status}-${serial}`, message };
}

export const ERRORS = {
  // Generic HTTP layer
  invalid_request: spec(400, MODULE.gateway, 1, 'The request is malformed or has invalid parameters.'),
  not_found: spec(404, MODULE.gateway, 2, 'No such resource.'),
  method_not_allowed: spec(405, MODULE.gateway, 3, 'This method is not allowed on this resource.'),
  payload_too_large: spec(413, MODULE.gateway, 4, 'The request body is too large.'),
  unsupported_media_type: spec(415, MODULE.gateway, 5, 'The request body has an unsupported content type.'),
  rate_limited: spec(429, MODULE.gateway, 6, 'Too many requests; retry later.'),
  auth_rate_limited: spec(429, MODULE.gateway, 7, 'Too many failed authentications from this address; retry later.'),
  internal_error: spec(500, MODULE.gateway, 8, 'An unexpected error has occurred while processing the request.'),
  service_unavailable: spec(503, MODULE.gateway, 9, 'The service is temporarily unavailable.'),
  header_too_large: spec(431, MODULE.gateway, 10, 'The request headers are too large.'),
  request_timeout: spec(408, MODULE.gateway, 11, 'The request took too long to arrive.'),
  exchange_rate_limited: spec(429, MODULE.gateway, 12, 'Too many exchanges of this API token; retry later.'),

  // csp-auth-token checks
  unauthenticated: spec(
    401,
    MODULE.tokens,
    1,
    'Authentication is required: send a valid access token in the csp-auth-token header or as Authorization: Bearer.',
  ),
  invalid_token: spec(401, MODULE.tokens, 2, 'The access token is invalid.'),
  token_expired: spec(401, MODULE.tokens, 3, 'The access token has expired.'),
  token_too_large: spec(401, MODULE.tokens, 4, 'The access token is larger than the accepted size.'),
  service_account_forbidden: spec(403, MODULE.tokens, 5, 'Service accounts may not use this API; it is for user accounts only.'),
  user_disabled: spec(403, MODULE.tokens, 6, 'The user account is disabled.'),
  principal_not_found: spec(404, MODULE.tokens, 7, 'The principal named by the token no longer exists.'),

  // Token issuing. Messages begin with the OAuth error, as CSP's do: clients match on those words.
  invalid_grant: spec(400, MODULE.tokens, 8, 'invalid_grant: Invalid refresh token: the API token is unknown, revoked or expired.'),
  invalid_client: spec(401, MODULE.tokens, 9, 'invalid_client: Bad client credentials.'),
  unsupported_grant_type: spec(400, MODULE.tokens, 10, 'unsupported_grant_type: The grant type is not supported.'),

  // MFA (issue 3): passcodes at token exchange, the device lifecycle, lockout
  mfa_required: spec(401, MODULE.mfa, 1, 'MFA is turned on for this principal: send the passcode from the registered MFA device.'),
  invalid_passcode: spec(401, MODULE.mfa, 2, 'The MFA passcode or recovery code is not valid.'),
  wrong_passcode: spec(403, MODULE.mfa, 3, 'The MFA passcode or recovery code is not valid.'),
  wrong_password: spec(403, MODULE.mfa, 4, 'The password is not correct.'),
  mfa_locked: spec(429, MODULE.mfa, 5, 'Too many failed MFA verifications; MFA verification is locked for a while.'),
  mfa_device_exists: spec(409, MODULE.mfa, 6, 'An activated MFA device is already registered; remove it first.'),
  mfa_device_not_found: spec(404, MODULE.mfa, 7, 'No MFA device is registered for this principal.'),
  mfa_unavailable: spec(500, MODULE.mfa, 8, 'MFA is not available: the server has no master key.'),
  insufficient_user_authentication: spec(401, MODULE.mfa, 9, 'This operation needs a recent second factor: send a passcode, or sign in again with one.'),

  // Passkeys and security keys (issue 12): WebAuthn registration and assertions, named authenticators
  authenticator_not_found: spec(404, MODULE.mfa, 10, 'No such authenticator is registered for this principal.'),
  webauthn_registration_refused: spec(400, MODULE.mfa, 11, 'The passkey registration was not accepted; request new registration options and try again.'),
  webauthn_refused: spec(403, MODULE.mfa, 12, 'The passkey assertion is not valid.'),
  invalid_webauthn: spec(401, MODULE.mfa, 13, 'The passkey assertion is not valid.'),
  mfa_on_by_passkeys: spec(
    409,
    MODULE.mfa,
    14,
    'MFA is on because passkeys are registered and there is no TOTP device to switch off: remove the passkeys to turn MFA off.',
  ),

  // Audit (issue 3)
  invalid_audit_request: spec(400, MODULE.audit, 1, 'The audit log request is invalid.'),

  // Organizations (issue 13): the MFA policy and the org admin API
  mfa_enrollment_required: spec(
    403,
    MODULE.orgs,
    1,
    'Your organization requires MFA and your enrolment period has ended. Sign in on the /mfa page (or to any application): the sign-in sets up an authenticator app first.',
  ),
  mfa_required_by_policy: spec(403, MODULE.orgs, 2, 'Your organization requires MFA: it cannot be turned off, and the last authenticator cannot be removed.'),
  org_admin_required: spec(403, MODULE.orgs, 3, 'This operation needs the org_owner or org_admin role in this organization.'),
  org_principal_not_found: spec(404, MODULE.orgs, 4, 'No principal of this organization has this username.'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export interface ApiErrorOptions {
  /** Seconds until a retry may succeed; sent as Retry-After. */
  retryAfterSeconds?: number;
  /** Extra response headers (e.g. RateLimit, Allow). */
  headers?: Record<string, string>;
  /** Internal cause, logged but never shown to the client. */
  cause?: unknown;
}

/** The only error type handlers throw on purpose; anything else becomes a generic 500. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryAfterSeconds?: number;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, options: ApiErrorOptions = {}) {
    super(message ?? ERRORS[code].message, { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers ?? {};
  }
}

export interface CspErrorResponse {
  statusCode: number;
  errorCode: string;
  cspErrorCode: string;
  message: string;
  moduleCode: number;
  requestId: string;
}

export function toCspErrorResponse(error: ApiError, requestId: string): CspErrorResponse {
  const entry = ERRORS[error.code];
  return {
    statusCode: entry.status,
    errorCode: error.code,
    cspErrorCode: entry.cspErrorCode,
    message: error.message,
    moduleCode: entry.moduleCode,
    requestId,
  };
}
