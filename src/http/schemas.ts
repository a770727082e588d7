// Shared TypeBox schemas: the CSP error body, and the error statuses each operation documents.
import { type Static, type TSchema, type TSchemaOptions, type TUnsafe, Type } from 'typebox';

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

/**
 * A $ref to a schema shared with app.addSchema (a component of the OpenAPI document), typed as that schema:
 * to the type provider a bare Type.Ref is `unknown`, which would leave the handler's answer unchecked.
 */
export function refTo<T extends TSchema>(schema: T, options?: TSchemaOptions): TUnsafe<Static<T>> {
  const id = (schema as { $id?: string }).$id;
  if (id === undefined) throw new Error('refTo() needs a schema with an $id');
  return Type.Unsafe<Static<T>>(Type.Ref(id, options));
}

/** A 204 answer: `type: null` tells the document generator there is no content; to the type provider, nothing to send. */
export const noContent = (description: string) => Type.Unsafe<undefined>(Type.Null({ description }));

type CspErrorRef = TUnsafe<Static<typeof CspErrorResponseSchema>>;

/** Response schemas for an operation: its successes plus a CspErrorResponse for each error status. */
export function withErrors<T extends Record<number, unknown>, S extends number>(success: T, statuses: readonly S[]): T & Record<S, CspErrorRef> {
  const out: Record<number, unknown> = { ...success };
  for (const status of statuses) out[status] = refTo(CspErrorResponseSchema, { description: ERROR_DESCRIPTIONS[status] ?? 'Error' });
  return out as T & Record<S, CspErrorRef>;
}

/** Error statuses every operation taking a csp-auth-token can answer with. */
export const AUTHENTICATED_ERRORS = [400, 401, 403, 404, 429, 500] as const;
