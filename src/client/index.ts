// principal-mfa/client: a typed, dependency-free client of the principal MFA API. It exchanges the API
// token for an access token, renews it before it expires, and throws CspError for every error answer.
import { API_TOKEN_EXCHANGE_PATH, MFA_BASE } from '../paths.js';
import { errorFromResponse } from './errors.js';
import type {
  AccessTokenResponse,
  ActivatedDevice,
  AuditLogPage,
  AuditLogRequest,
  RecoveryCodes,
  RegisteredDevice,
  RemoveDeviceProof,
  UpdateMfaRequest,
  UpdateMfaResponse,
  UserMfaStatus,
} from './types.js';

export { CspError, type CspErrorBody } from './errors.js';
export type * from './types.js';

export const TOKEN_PATH = API_TOKEN_EXCHANGE_PATH;
export const MFA_PATH = MFA_BASE;

/** A passcode, or a function giving a fresh one for each exchange (a TOTP code works only once). */
export type PasscodeSource = string | (() => string | Promise<string>);

export interface ClientOptions {
  /** Where the service runs, e.g. https://mfa.example.com (no trailing path needed). */
  baseUrl: string;
  apiToken: string;
  /** Needed once the principal's MFA is turned on. */
  passcode?: PasscodeSource;
  /** Renew this long before the access token expires (default 60 s; capped at half its lifetime). */
  renewBeforeSeconds?: number;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Epoch milliseconds; defaults to Date.now. */
  now?: () => number;
}

export interface PrincipalMfaClient {
  getStatus(): Promise<UserMfaStatus>;
  registerDevice(deviceName: string): Promise<RegisteredDevice>;
  activateDevice(passcode: string): Promise<ActivatedDevice>;
  renameDevice(deviceName: string): Promise<UserMfaStatus>;
  removeDevice(proof: RemoveDeviceProof): Promise<void>;
  updateMfa(request: UpdateMfaRequest): Promise<UpdateMfaResponse>;
  regenerateRecoveryCodes(passcode: string): Promise<RecoveryCodes>;
  getAuditLog(request: AuditLogRequest): Promise<AuditLogPage>;
  /** A valid access token, exchanging or renewing the API token when needed. */
  accessToken(): Promise<string>;
  /** Forgets the access token; the next call exchanges the API token again. */
  signOut(): void;
}

interface HeldToken {
  value: string;
  /** Epoch ms after which the token is renewed rather than used. */
  renewAt: number;
}

/**
 * Never follow a redirect: fetch would re-send the API token (a 307/308 keeps the POST body) and the
 * csp-auth-token header (fetch drops only Authorization on a cross-origin hop) to wherever Location
 * points. A 3xx becomes a CspError that names the Location, so the caller can fix baseUrl.
 */
const NO_REDIRECTS = { redirect: 'manual' } as const;

/** Errors after which one fresh exchange may help: the token expired or was signed by a retired key. */
const RETRY_WITH_NEW_TOKEN = new Set(['token_expired', 'invalid_token']);

export function createClient(options: ClientOptions): PrincipalMfaClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const renewBeforeSeconds = options.renewBeforeSeconds ?? 60;
  let held: HeldToken | undefined;
  let pending: Promise<HeldToken> | undefined;

  async function exchange(): Promise<HeldToken> {
    const form = new URLSearchParams({ api_token: options.apiToken });
    const passcode = typeof options.passcode === 'function' ? await options.passcode() : options.passcode;
    if (passcode !== undefined && passcode !== '') form.set('passcode', passcode);
    const startedAt = now();
    const res = await doFetch(`${baseUrl}${TOKEN_PATH}`, { ...NO_REDIRECTS, method: 'POST', body: form, headers: { accept: 'application/json' } });
    if (!res.ok) throw await errorFromResponse(res);
    const dto = (await res.json()) as AccessTokenResponse;
    // Measured from before the request, so a slow answer only makes us renew earlier.
    const lifetimeSeconds = Math.max(0, dto.expires_in);
    const margin = Math.min(renewBeforeSeconds, lifetimeSeconds / 2);
    return { value: dto.access_token, renewAt: startedAt + (lifetimeSeconds - margin) * 1000 };
  }

  async function accessToken(): Promise<string> {
    if (held && now() < held.renewAt) return held.value;
    // Concurrent callers share one exchange instead of each spending the API token (and a passcode).
    pending ??= exchange().finally(() => {
      pending = undefined;
    });
    held = await pending;
    return held.value;
  }

  async function request<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const token = await accessToken();
    const headers: Record<string, string> = { 'csp-auth-token': token, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await doFetch(`${baseUrl}${MFA_PATH}${path}`, {
      ...NO_REDIRECTS,
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) {
      const error = await errorFromResponse(res);
      if (!retried && res.status === 401 && RETRY_WITH_NEW_TOKEN.has(error.errorCode)) {
        if (held?.value === token) held = undefined;
        return request<T>(method, path, body, true);
      }
      throw error;
    }
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  return {
    getStatus: () => request<UserMfaStatus>('GET', '/status'),
    registerDevice: (deviceName) => request<RegisteredDevice>('POST', '/device', { deviceName }),
    activateDevice: (passcode) => request<ActivatedDevice>('POST', '/device/activate', { passcode }),
    renameDevice: (deviceName) => request<UserMfaStatus>('PATCH', '/device', { deviceName }),
    removeDevice: (proof) => request<void>('DELETE', '/device', proof),
    updateMfa: ({ password, turnedOn }) => request<UpdateMfaResponse>('PATCH', '', { password, turnedOn }),
    regenerateRecoveryCodes: (passcode) => request<RecoveryCodes>('POST', '/recovery-codes', { passcode }),
    getAuditLog: (auditRequest) => request<AuditLogPage>('POST', '/audit', auditRequest),
    accessToken,
    signOut() {
      held = undefined;
    },
  };
}

export default createClient;
