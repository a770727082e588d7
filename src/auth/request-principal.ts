// What the principal-API gate attaches to a request it lets through, and the typed way for a handler to read it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import type { User } from '../principals/users.js';
import type { UserWithMfaState } from '../storage/repositories/principals.js';
import type { AccessTokenClaims } from '../tokens/claims.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The user named by the access token, read from the store on this request; null until the gate passed. */
    principal: User | null;
    /** The verified claims of that access token; null until the gate passed. */
    claims: AccessTokenClaims | null;
    /** The principal with its MFA device state, when the gate read both in one statement (our own tokens); else null. */
    principalState: UserWithMfaState | null;
  }
}

/** Declared up front so every request has both fields from the start: setting them never reshapes it. */
export function decoratePrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('claims', null);
  app.decorateRequest('principalState', null);
}

/**
 * The principal of a request behind the gate. Without one (a route outside the gate: null where the plugin
 * decorates requests, undefined elsewhere) it is a 401, not a crash.
 */
export function principalOf(request: FastifyRequest): User {
  if (!request.principal) throw new ApiError('unauthenticated');
  return request.principal;
}

/** The verified token claims of a request behind the gate (step-up, profile). */
export function claimsOf(request: FastifyRequest): AccessTokenClaims {
  if (!request.claims) throw new ApiError('unauthenticated');
  return request.claims;
}
