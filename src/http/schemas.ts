// Shared TypeBox schemas: the CSP error body, and the error statuses each operation documents.
import { Type } from 'typebox';

export const CspErrorResponseSchema = Type.Object(
  {
    statusCode: Type.Integer({ format: 'int32' }),
    errorCode: Type.String(),
    cspErrorCode: Type.String(),
    message: Type.String(),
    moduleCode: Type.Integer({ format: 'int32' }),
    requestId: Type.String(),
  },
  { $id: 'CspErrorResponse', additionalProperties: false, description: 'CSP error body, sent with every error status.' },
);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated user',
  403: 'The user is forbidden to use the API',
  404: 'The requested resource could not be found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Request body too large',
  415: 'Unsupported media type',
  429: 'The user has sent too many requests',
  500: 'An unexpected error has occurred while processing the request',
  503: 'Service unavailable',
};

/** Response schemas for an operation: its successes plus a CspErrorResponse for each error status. */
export function withErrors<T extends Record<number, unknown>>(success: T, statuses: number[]): T & Record<number, unknown> {
  const out: Record<number, unknown> = { ...success };
  for (const status of statuses) out[status] = Type.Ref('CspErrorResponse', { description: ERROR_DESCRIPTIONS[status] ?? 'Error' });
  return out as T & Record<number, unknown>;
}

/** Error statuses every operation taking a csp-auth-token can answer with. */
export const AUTHENTICATED_ERRORS = [400, 401, 403, 404, 429, 500];
