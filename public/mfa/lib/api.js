// Calls the service's API with the session's access token. A non-2xx answer becomes an ApiError
// carrying the server's own message (every error body is a CspErrorResponse with `message`).
import { readAccessToken } from './session.js';

export const AUTHORIZE_URL = '/csp/gateway/am/api/auth/api-tokens/authorize';
export const MFA_URL = '/csp/gateway/iam/vmwid/api/principal/mfa';
/** Audit events asked for per page. */
export const AUDIT_PAGE_LIMIT = 20;

export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number, requestId?: string, errorCode?: string, authenticated?: boolean}} [info]
   */
  constructor(message, info = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = info.status ?? 0;
    this.requestId = info.requestId ?? '';
    this.errorCode = info.errorCode ?? '';
    /** The call carried the session's token, so a 401 means the session is over. */
    this.authenticated = info.authenticated ?? false;
  }
}

/**
 * Calls the API and returns the parsed JSON answer (null for an empty one).
 * @param {string} method
 * @param {string} path
 * @param {{json?: unknown, form?: Record<string, string>, auth?: boolean}} [options]
 * @returns {Promise<any>}
 */
export async function callApi(method, path, options = {}) {
  const auth = options.auth ?? true;
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  /** @type {string | undefined} */
  let body;
  if (options.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (auth) {
    const token = readAccessToken();
    if (!token) throw new ApiError('You are signed out.', { status: 401, authenticated: true });
    headers['csp-auth-token'] = token;
  }

  /** @type {Response} */
  let response;
  let text;
  try {
    response = await fetch(path, {
      method,
      headers,
      body,
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
    });
    text = await response.text();
  } catch {
    throw new ApiError('Could not reach the server. Check your network connection and try again.');
  }

  const data = parseJson(text);
  if (!response.ok) throw toApiError(response, data, auth);
  if (response.status === 204 || !text) return null;
  if (data === null) throw new ApiError('The server sent a response this page could not read.');
  return data;
}

/** @param {string} text */
function parseJson(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * The server's message, or the HTTP status when the answer is not ours (a proxy's HTML page).
 * @param {Response} response @param {any} data @param {boolean} authenticated
 */
function toApiError(response, data, authenticated) {
  const requestId = (data && typeof data.requestId === 'string' && data.requestId) || response.headers.get('x-request-id') || '';
  const message =
    data && typeof data.message === 'string' && data.message
      ? data.message
      : `The server answered with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`;
  return new ApiError(message, {
    status: response.status,
    requestId,
    errorCode: data && typeof data.errorCode === 'string' ? data.errorCode : '',
    authenticated,
  });
}
