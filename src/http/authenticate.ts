// The access-token gate of the principal API: read the token (csp-auth-token or Authorization: Bearer) →
// verify → limit per principal → user accounts only → read the user from the store (every request, so
// disable/delete by the CLI wins at once).
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ApiError } from '../errors.js';
import { rateLimitHeaders } from '../limits/rate-limiter.js';
import { findUserById, userIdFromSubject } from '../principals/users.js';
import type { Services } from '../services.js';
import { findOrCreateOutsideUser } from '../tokens/trusted-issuers.js';
import './request-context.js';

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

export function requireUser(services: Services): preHandlerAsyncHookHandler {
  return async function authenticateUser(request: FastifyRequest, reply: FastifyReply) {
    const token = readAccessToken(request);
    const claims = services.verifier.verifyCached(token) ?? (await services.verifier.verify(token));
    // Our own tokens (the hot path) compare one string; an outside issuer's subjects get its name as a
    // prefix so that they can never share a limit with ours or another issuer's.
    const own = claims.iss === services.config.issuer;
    const decision = await services.limits.requests.consume(own ? claims.sub : `${claims.iss} ${claims.sub}`);
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed) throw new ApiError('rate_limited', undefined, { headers, retryAfterSeconds: decision.resetSeconds });
    // Everything behind this gate is principal data: never cached by a proxy or browser.
    reply.headers({ ...headers, 'Cache-Control': 'no-store' });
    // Application (client-credentials) tokens carry no username: the official policy allows users only.
    if (typeof claims.username !== 'string') throw new ApiError('service_account_forbidden');
    let user;
    if (own) {
      const userId = userIdFromSubject(claims.sub);
      user = userId === undefined ? undefined : await findUserById(services.store, userId);
    } else {
      user = await findOrCreateOutsideUser(services.store, services.clock, claims); // just in time
    }
    if (!user) throw new ApiError('principal_not_found');
    if (!user.enabled) throw new ApiError('user_disabled');
    request.claims = claims;
    request.user = user;
  };
}
