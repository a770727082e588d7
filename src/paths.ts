// CSP's URL paths, written once: the routes, the OpenAPI document, the client and the config defaults all
// take them from here. A leaf module: it imports nothing, so the client can load it without server code.

/** CSP's account-management API: the token service and the logged-in user. Also the default issuer's path. */
export const CSP_AM_API = '/csp/gateway/am/api';
/** CSP's identity API: the principal MFA API and its OpenAPI document. */
export const CSP_VMWID_API = '/csp/gateway/iam/vmwid/api';

/** The token service (grants, public keys, discovery). */
export const AUTH_BASE = `${CSP_AM_API}/auth`;
/** The API-token exchange, what CSP's clients call first. */
export const API_TOKEN_EXCHANGE_PATH = `${AUTH_BASE}/api-tokens/authorize`;
/** The OAuth 2.0 token endpoint (client credentials, refresh token). */
export const TOKEN_ENDPOINT_PATH = `${AUTH_BASE}/token`;
/** CSP's older client-credentials endpoint. */
export const CLIENT_CREDENTIALS_PATH = `${AUTH_BASE}/authorize`;
export const TOKEN_PUBLIC_KEY_PATH = `${AUTH_BASE}/token-public-key`;
/** The OIDC JWK Set (discovery's jwks_uri): the RSA and EC keys, ours beside CSP's API. */
export const OIDC_JWKS_PATH = `${AUTH_BASE}/oidc/jwks`;
export const LOGGED_IN_USER_PATH = `${CSP_AM_API}/loggedin/user`;

/** The principal MFA API: status, device, recovery codes, audit log. */
export const MFA_BASE = `${CSP_VMWID_API}/principal/mfa`;
export const API_DOCS_PATH = `${CSP_VMWID_API}/v2/api-docs`;

/**
 * Interactive sign-in (OpenID Connect). The authorization endpoint is where CSP's own console sends people
 * (/csp/gateway/discovery); the sign-in pages sit beside it; userinfo and logout under the token service.
 */
export const AUTHORIZATION_PATH = '/csp/gateway/discovery';
export const SIGNIN_PATH = '/csp/gateway/signin';
export const SIGNIN_PASSWORD_PATH = `${SIGNIN_PATH}/password`;
export const SIGNIN_SECOND_FACTOR_PATH = `${SIGNIN_PATH}/second-factor`;
/** Setting up a first second factor inside the sign-in (the page, and its activation post); then continuing. */
export const SIGNIN_ENROL_PATH = `${SIGNIN_PATH}/enrol`;
export const SIGNIN_ENROL_CONTINUE_PATH = `${SIGNIN_ENROL_PATH}/continue`;
/** Passkey request options for the sign-in in progress (its interaction cookie and CSRF token). */
export const SIGNIN_PASSKEY_OPTIONS_PATH = `${SIGNIN_PATH}/passkey-options`;
export const USERINFO_PATH = `${AUTH_BASE}/userinfo`;
export const END_SESSION_PATH = `${AUTH_BASE}/logout`;
