// GET /csp/gateway/am/api/loggedin/user: the principal named by the access token, in CSP's shape.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TOKEN_SECURITY } from '../auth/access-token-header.js';
import { claimsOf, principalOf } from '../auth/request-principal.js';
import { AUTHENTICATED_ERRORS, withErrors } from '../http/schemas.js';
import { LOGGED_IN_USER_PATH } from '../paths.js';
import type { Services } from '../services.js';
import { BaseUserDto, describeLoggedInUser } from './profile.js';

export function profileRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      LOGGED_IN_USER_PATH,
      {
        schema: {
          summary: 'Get the logged-in user',
          description: 'The profile of the user named by the access token; fields without a value are left out. User accounts only.',
          tags: ['Logged-in user'],
          security: TOKEN_SECURITY,
          response: withErrors(
            { 200: BaseUserDto },
            AUTHENTICATED_ERRORS.filter((s) => s !== 400),
          ),
        },
      },
      async (request) => describeLoggedInUser(principalOf(request), claimsOf(request), services.config.issuer),
    );
  };
}
