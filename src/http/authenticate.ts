// The csp-auth-token gate of the principal MFA API: verify → limit per principal → user accounts only
// → read the user from the store (every request, so disable/delete by the CLI wins at once).
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ApiError } from '../errors.js';
import { rateLimitHeaders } from '../limits/rate-limiter.js';
import { findUserById, userIdFromSubject } from '../principals/users.js';
import type { Services } from '../services.js';
import { findOrCreateOutsideUser } from '../tokens/trusted-issuers.js';
import './request-context.js';

export const AUTH_HEADER = 'csp-auth-token';

export function requireUser(services: Services): preHandlerAsyncHookHandler {
  return async function authenticateUser(request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers[AUTH_HEADER];
    // Node joins repeated headers with ", ", which no JWT contains: two tokens fail verification.
    const token = typeof header === 'string' ? header : undefined;
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
