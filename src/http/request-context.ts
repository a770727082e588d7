// What the auth hook attaches to a request for the handlers after it.
import type { User } from '../principals/users.js';
import type { AccessTokenClaims } from '../tokens/access-tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified csp-auth-token claims (set by requireUser). */
    claims?: AccessTokenClaims;
    /** The user named by the token, read from the store on this request (set by requireUser). */
    user?: User;
  }
}

export {};
