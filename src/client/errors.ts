// CspError: what the client throws for every error answer, with the six CspErrorResponse fields.

import type { CspErrorResponse } from '../errors.js';

/** The error body every route answers with (type only: the client loads no server code). */
export type CspErrorBody = CspErrorResponse;

export class CspError extends Error implements CspErrorBody {
  override name = 'CspError';
  readonly statusCode: number;
  readonly errorCode: string;
  readonly cspErrorCode: string;
  readonly moduleCode: number;
  readonly requestId: string;
  /** Seconds from the Retry-After header (429 lockouts and rate limits), when the server sent one. */
  readonly retryAfterSeconds?: number;

  constructor(body: CspErrorBody, retryAfterSeconds?: number) {
    super(body.message);
    this.statusCode = body.statusCode;
    this.errorCode = body.errorCode;
    this.cspErrorCode = body.cspErrorCode;
    this.moduleCode = body.moduleCode;
    this.requestId = body.requestId;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The body as the server sent it (for logs and re-throwing across process boundaries). */
  toJSON(): CspErrorBody {
    const { statusCode, errorCode, cspErrorCode, message, moduleCode, requestId } = this;
    return { statusCode, errorCode, cspErrorCode, message, moduleCode, requestId };
  }
}

/** CSP clients detect an error body by its cspErrorCode. */
function isCspErrorBody(value: unknown): value is CspErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as CspErrorBody).cspErrorCode === 'string';
}

/** Retry-After is delta-seconds or an HTTP date; both become seconds from now. */
export function parseRetryAfter(header: string | null, nowMs = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/**
 * Turns an error response into a CspError. A body that is not a CspErrorResponse (a proxy's HTML
 * page, say) still becomes one, with errorCode `unexpected_response`, so callers handle one type.
 */
export async function errorFromResponse(res: Response): Promise<CspError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  if (isCspErrorBody(body)) return new CspError(body, retryAfter);
  const redirect = res.status >= 300 && res.status < 400;
  return new CspError(
    {
      statusCode: res.status,
      errorCode: 'unexpected_response',
      cspErrorCode: '',
      message: redirect
        ? `HTTP ${res.status}: a redirect to ${res.headers.get('location') ?? '(no Location)'}, not followed so that no token is sent to another address; set baseUrl to the address that answers.`
        : `HTTP ${res.status} ${res.statusText}`.trim(),
      moduleCode: 0,
      requestId: res.headers.get('x-request-id') ?? '',
    },
    retryAfter,
  );
}
