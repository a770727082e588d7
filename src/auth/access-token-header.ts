// Where a principal-API request carries its access token: csp-auth-token or `Authorization: Bearer`.
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

export const AUTH_HEADER = 'csp-auth-token';

/** The OpenAPI security requirement of every principal API operation: either header carries the token. */
export const TOKEN_SECURITY: Record<string, string[]>[] = [{ cspAuthToken: [] }, { bearerAuth: [] }];

/** RFC 6750 §2.1: the scheme (any case, RFC 9110 §11.1), one or more spaces, one b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The access token of a request: csp-auth-token (the seed's header, sent by most clients) or
 * `Authorization: Bearer` (CSP's published scheme; some clients send both). When both are present they
 * must carry the same token: choosing one silently would let a proxy or a confused client act as one
 * principal while logs and limits show another. Any Authorization header that is not exactly one
 * well-formed Bearer credential is refused, for the same reason.
 */
export function readAccessToken(request: FastifyRequest): string | undefined {
  const header = request.headers[AUTH_HEADER];
  // Node joins repeated headers with ", ", which no JWT contains: two tokens fail verification.
  const csp = typeof header === 'string' ? header : undefined;
  const authorization = request.headers.authorization;
  if (authorization === undefined) return csp;
  // Node keeps only the first of repeated Authorization lines: count them in the raw headers.
  const raw = request.raw.rawHeaders;
  let lines = 0;
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === 'authorization') lines++;
  if (lines > 1) throw new ApiError('invalid_token', 'Send one Authorization header.');
  const bearer = BEARER.exec(authorization)?.[1];
  if (bearer === undefined) throw new ApiError('invalid_token', 'The Authorization header must be "Bearer <access token>".');
  if (csp !== undefined && csp !== bearer) throw new ApiError('invalid_token', 'The csp-auth-token and Authorization headers carry different tokens.');
  return bearer;
}
