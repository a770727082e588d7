// The access-token gate of the principal API, one named step after another in this order: read the token →
// verify it → limit requests per principal → refuse applications → find the user (in the store on every
// request, so a disable or delete by the CLI wins at once; on PostgreSQL our own users are read while the limit
// is counted) → refuse a disabled user.
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ApiError } from '../errors.js';
import { type RateLimitDecision, rateLimitHeaders } from '../limits/rate-limiter.js';
import { findOrCreateOutsideUser } from '../principals/outside-users.js';
import { type User, userIdFromSubject } from '../principals/users.js';
import type { Services } from '../services.js';
import type { UserWithMfaState } from '../storage/repositories/principals.js';
import type { AccessTokenClaims } from '../tokens/claims.js';
import { outsidePrincipalOf } from '../tokens/trusted-issuers.js';
import { readAccessToken } from './access-token-header.js';
import './request-principal.js';

/**
 * The gate as a preHandler (after body validation, so a malformed body is a 400 whatever the token).
 * Only the verification of a token not seen before and the limit and store reads wait on a promise.
 */
export function authenticatePrincipal(services: Services): preHandlerAsyncHookHandler {
  return async function authenticatePrincipal(request: FastifyRequest, reply: FastifyReply) {
    const token = readAccessToken(request);
    const claims = services.verifier.verifyCached(token) ?? (await services.verifier.verify(token));
    // Our own tokens (the hot path) compare one string; an outside issuer's subjects get its name as a
    // prefix so that they can never share a limit with ours or another issuer's.
    const own = claims.iss === services.config.issuer;
    // On PostgreSQL one of our own users (the hot path) is read while the limit is counted, so that the store's
    // and a remote limiter's (Redis) round trips overlap. The read changes nothing, and its answer is looked at
    // only after the limit and application checks, so their errors still come first. (SQLite reads at once
    // anyway: nothing to overlap, and no extra promise.)
    const early = own && services.store.kind === 'postgres' && typeof claims.username === 'string' ? findOwnUser(services, claims.sub) : undefined;
    // It may fail while the limit is awaited: marked as handled now, and still awaited (and thrown) below.
    early?.catch(ignoreHere);
    const decision = await services.limits.requests.consume(own ? claims.sub : `${claims.iss} ${claims.sub}`);
    // Everything behind this gate is principal data: never cached by a proxy or browser.
    reply.headers({ ...allowedRequestHeaders(decision), 'Cache-Control': 'no-store' });
    refuseApplications(claims);
    const state = own ? await (early ?? findOwnUser(services, claims.sub)) : undefined;
    const user = own ? state?.user : await findOutsideUser(services, claims);
    if (!user) throw new ApiError('principal_not_found');
    if (!user.enabled) throw new ApiError('user_disabled');
    request.claims = claims;
    request.principal = user;
    request.principalState = state ?? null;
  };
}

const ignoreHere = () => undefined;

/** The rate-limit headers of an allowed request; over the limit, a 429 carrying them. */
function allowedRequestHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers = rateLimitHeaders(decision);
  if (!decision.allowed) throw new ApiError('rate_limited', undefined, { headers, retryAfterSeconds: decision.resetSeconds });
  return headers;
}

/** Application (client-credentials) tokens carry no username: the official policy allows users only. */
function refuseApplications(claims: AccessTokenClaims): void {
  if (typeof claims.username !== 'string') throw new ApiError('service_account_forbidden');
}

/**
 * One of our users by the id in `sub`, with its MFA device state: one read (one PostgreSQL round trip, one
 * SQLite freshness check) serves both the gate and the status route. Returns the store's promise as it is: no extra tick.
 */
function findOwnUser(services: Services, subject: string): Promise<UserWithMfaState | undefined> | undefined {
  const userId = userIdFromSubject(subject);
  return userId === undefined ? undefined : services.store.principals.findByIdWithMfaState(userId);
}

/** An outside issuer's principal by its issuer and subject, created on first use (just in time). */
function findOutsideUser(services: Services, claims: AccessTokenClaims): Promise<User> {
  const principal = outsidePrincipalOf(claims);
  // Only tokens verified by TrustedIssuers name one: anything else never reaches an outside principal.
  if (!principal) throw new ApiError('invalid_token');
  return findOrCreateOutsideUser(services.store, services.clock, principal);
}
