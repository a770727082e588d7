// GET /csp/gateway/am/api/loggedin/user: the principal named by the access token, in CSP's shape.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { requireUser, TOKEN_SECURITY } from '../http/authenticate.js';
import { AUTHENTICATED_ERRORS, withErrors } from '../http/schemas.js';
import type { Services } from '../services.js';
import { describeLoggedInUser } from './profile.js';

export const LOGGED_IN_USER_PATH = '/csp/gateway/am/api/loggedin/user';

/** CSP's BaseUserDto, without `accessible` and `userProfile` (nothing here to fill them with). */
export const BaseUserDto = Type.Object(
  {
    username: Type.Optional(Type.String({ description: "The user's username" })),
    domain: Type.Optional(Type.String({ description: "The user's identity provider domain: `local`, or the trusted issuer's" })),
    idpId: Type.Optional(Type.String({ description: "The user's identity provider: the trusted issuer, for users of one" })),
    userId: Type.Optional(Type.String({ description: 'The unique identifier of the user on whose behalf the token was issued' })),
    acct: Type.Optional(Type.String({ description: 'The identifier the user signs in with: URLEncoded(username)@domain, or the address' })),
    email: Type.Optional(Type.String({ description: "The user's email address, when the identity provider sent one" })),
    firstName: Type.Optional(Type.String({ description: "The user's first name, when the identity provider sent one" })),
    lastName: Type.Optional(Type.String({ description: "The user's last name, when the identity provider sent one" })),
  },
  { title: 'BaseUserDto', additionalProperties: false },
);

export function profileRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get(
      LOGGED_IN_USER_PATH,
      {
        preHandler: requireUser(services),
        schema: {
          summary: 'Get the logged-in user',
          description: 'The profile of the user named by the access token; fields without a value are left out. User accounts only.',
          tags: ['Logged-in user'],
          security: TOKEN_SECURITY,
          response: withErrors({ 200: BaseUserDto }, AUTHENTICATED_ERRORS.filter((s) => s !== 400)),
        },
      },
      async (request) => describeLoggedInUser(request.user!, request.claims!, services.config.issuer),
    );
  };
}
