// The access-token gate of the principal API, one named step after another in this order: read the token →
// verify it → limit requests per principal → refuse applications → find the user (in the store on every
// request, so a disable or delete by the CLI wins at once; on PostgreSQL our own users are read while the limit
// is counted) → refuse a disabled user.
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { ApiError } from '../errors.js';
import { type RateLimitDecision, rateLimitHeaders, rateLimitPolicy, rateLimitState } from '../limits/rate-limiter.js';
import { findOrCreateOutsideUser } from '../principals/outside-users.js';
import { type User, userIdFromSubject } from '../principals/users.js';
import type { Services } from '../services.js';
import type { UserWithMfaState } from '../storage/repositories/principals.js';
import type { AccessTokenClaims } from '../tokens/claims.js';
import { outsidePrincipalOf } from '../tokens/trusted-issuers.js';
import { readAccessToken } from './access-token-header.js';
import './request-principal.js';

/**
 * The gate as a preHandler (after body validation, so a malformed body is a 400 whatever the token), in callback
 * style. The hot path (a token verified before, of our issuer, with a limiter in memory and a store that reads
 * synchronously, i.e. SQLite) runs its steps at once, with no promise and no tick; anything else (a new token,
 * Redis, PostgreSQL, an outside principal) runs the same steps in the same order with their awaits.
 */
export function authenticatePrincipal(services: Services): preHandlerHookHandler {
  const limiter = services.limits.requests;
  const consumeNow = limiter.consumeNow?.bind(limiter);
  const findNow = services.store.principals.findByIdWithMfaStateNow;
  const atOnce = consumeNow && findNow ? { consumeNow, findNow } : undefined;
  const slowPath = authenticateAwaiting(services);
  return function authenticatePrincipal(request, reply, done) {
    let admitted: boolean;
    try {
      admitted = atOnce !== undefined && admitAtOnce(services, atOnce, request, reply);
    } catch (refusal) {
      return done(refusal as Error);
    }
    if (admitted) return done();
    slowPath(request, reply).then(() => done(), done);
  };
}

/**
 * The hot path's steps at once; false (having changed nothing) when the token was not verified before or is not
 * ours: the caller then takes the path that awaits.
 */
function admitAtOnce(services: Services, steps: AtOnce, request: FastifyRequest, reply: FastifyReply): boolean {
  const claims = services.verifier.verifyCached(readAccessToken(request));
  if (claims === undefined || claims.iss !== services.config.issuer) return false;
  setAllowedHeaders(reply, steps.consumeNow(claims.sub));
  refuseApplications(claims);
  const userId = userIdFromSubject(claims.sub);
  admit(request, claims, userId === undefined ? undefined : steps.findNow(userId));
  return true;
}

/** The limiter and the store read that answer at once, when both do. */
interface AtOnce {
  consumeNow(key: string): RateLimitDecision;
  findNow(id: string): UserWithMfaState | undefined;
}

/** The steps with their awaits: a token seen for the first time, a remote limiter or store, an outside principal. */
function authenticateAwaiting(services: Services) {
  return async function authenticateAwaiting(request: FastifyRequest, reply: FastifyReply): Promise<void> {
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
    setAllowedHeaders(reply, decision);
    refuseApplications(claims);
    if (own) return admit(request, claims, await (early ?? findOwnUser(services, claims.sub)));
    const user = await findOutsideUser(services, claims);
    admitUser(request, claims, user, null);
  };
}

/** The last steps for one of our users: refuse an unknown or disabled one, else attach it to the request. */
function admit(request: FastifyRequest, claims: AccessTokenClaims, state: UserWithMfaState | undefined): void {
  admitUser(request, claims, state?.user, state ?? null);
}

function admitUser(request: FastifyRequest, claims: AccessTokenClaims, user: User | undefined, state: UserWithMfaState | null): void {
  if (!user) throw new ApiError('principal_not_found');
  if (!user.enabled) throw new ApiError('user_disabled');
  request.claims = claims;
  request.principal = user;
  request.principalState = state;
}

const ignoreHere = () => undefined;

/**
 * The rate-limit headers of an allowed request, and Cache-Control (everything behind this gate is principal data:
 * never cached by a proxy or browser); over the limit, a 429 carrying the rate-limit headers.
 */
function setAllowedHeaders(reply: FastifyReply, decision: RateLimitDecision): void {
  if (!decision.allowed) throw new ApiError('rate_limited', undefined, { headers: rateLimitHeaders(decision), retryAfterSeconds: decision.resetSeconds });
  reply.header('RateLimit-Policy', rateLimitPolicy(decision)).header('RateLimit', rateLimitState(decision)).header('Cache-Control', 'no-store');
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
