// The UserInfo endpoint (OIDC Core §5.3): the claims of the signed-in user that the granted scope allows,
// for an access token from an interactive sign-in (it carries the `scope` claim with openid).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import { readAccessToken, TOKEN_SECURITY } from '../auth/access-token-header.js';
import { ApiError } from '../errors.js';
import { withErrors } from '../http/schemas.js';
import { USERINFO_PATH } from '../paths.js';
import { userIdFromSubject, userSubject } from '../principals/users.js';
import type { Services } from '../services.js';

export const UserInfoDto = Type.Object(
  {
    sub: Type.String({ description: 'The same sub as in the ID token.' }),
    preferred_username: Type.Optional(Type.String({ description: 'scope profile: the username.' })),
    name: Type.Optional(Type.String({ description: 'scope profile: the username (no display name is kept).' })),
    email: Type.Optional(Type.String({ description: 'scope email: the username, when it is an email address.' })),
    email_verified: Type.Optional(Type.Boolean({ description: 'scope email: always false; addresses are not verified here.' })),
  },
  { additionalProperties: false },
);
type UserInfoDto = Static<typeof UserInfoDto>;

/** RFC 6750 §3: a Bearer challenge with the error, so standard clients know to refresh or sign in again. */
const BEARER_CHALLENGE = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };
const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export async function userInfoFor(services: Services, token: string | undefined): Promise<UserInfoDto> {
  let claims;
  try {
    claims = await services.verifier.verify(token);
  } catch (error) {
    if (error instanceof ApiError) throw new ApiError(error.code, undefined, { headers: BEARER_CHALLENGE });
    throw error;
  }
  const scopes = (claims.scope ?? '').split(' ');
  if (!scopes.includes('openid')) throw new ApiError('invalid_token', 'The access token is not from an OpenID Connect sign-in.', { headers: BEARER_CHALLENGE });
  const userId = userIdFromSubject(claims.sub);
  const user = userId === undefined ? undefined : await services.store.principals.findById(userId);
  if (!user || userSubject(user) !== claims.sub)
    throw new ApiError('invalid_token', 'The user of this access token no longer exists.', { headers: BEARER_CHALLENGE });
  if (!user.enabled) throw new ApiError('user_disabled');
  const info: UserInfoDto = { sub: claims.sub };
  if (scopes.includes('profile')) Object.assign(info, { preferred_username: user.username, name: user.username });
  if (scopes.includes('email') && EMAIL_SHAPE.test(user.username)) Object.assign(info, { email: user.username, email_verified: false });
  return info;
}

export function userInfoRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onSend', async (_request, reply) => {
      reply.header('Cache-Control', 'no-store');
    });
    const schema = {
      summary: 'OpenID Connect UserInfo: claims of the signed-in user, as the granted scope allows',
      tags: ['Authentication'],
      security: TOKEN_SECURITY,
      response: withErrors({ 200: UserInfoDto }, [401, 403, 429, 500]),
    };
    app.get(USERINFO_PATH, { schema }, async (request) => userInfoFor(services, readAccessToken(request)));
    app.post(USERINFO_PATH, { schema: { ...schema, summary: `${schema.summary} (POST)` } }, async (request) => userInfoFor(services, readAccessToken(request)));
  };
}
