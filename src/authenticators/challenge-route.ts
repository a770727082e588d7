// POST /csp/gateway/am/api/auth/webauthn/challenge: request options for a passkey at the API-token exchange.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '../errors.js';
import { FORM_CONTENT_TYPE, type FormBody } from '../http/form-body.js';
import { withErrors } from '../http/schemas.js';
import { AUTH_BASE } from '../paths.js';
import type { Services } from '../services.js';
import { findApiTokenUser } from '../tokens/exchange.js';
import { pickApiToken } from '../tokens/grants.js';
import { registerTokenBodyParsers } from '../tokens/request-body.js';
import { authenticationOptions } from './assertion.js';
import { RequestOptionsDto } from './dtos.js';
import { relyingPartyOf } from './relying-party.js';

export const WEBAUTHN_CHALLENGE_PATH = `${AUTH_BASE}/webauthn/challenge`;

const ChallengeBody = Type.Object({
  api_token: Type.Optional(Type.String({ description: 'The API token the exchange will send.' })),
  refresh_token: Type.Optional(Type.String({ description: 'The API token, older name.' })),
});

/** Same token places, body types and per-token limit as the exchange itself (its count is shared). */
export function webauthnChallengeRoute(services: Services): FastifyPluginAsyncTypebox {
  const relyingParty = relyingPartyOf(services.config);
  return async (app) => {
    registerTokenBodyParsers(app, { jsonFields: ['api_token', 'refresh_token'] });
    app.addHook('onSend', async (_request, reply) => {
      reply.header('Cache-Control', 'no-store');
    });
    app.post(
      WEBAUTHN_CHALLENGE_PATH,
      {
        schema: {
          summary: 'Passkey challenge for the API-token exchange: PublicKeyCredentialRequestOptionsJSON over the principal’s passkeys',
          description:
            "Answer it with navigator.credentials.get() and send the AuthenticationResponseJSON, as a JSON string, in the exchange's form field webauthn within 5 minutes. Counts toward the API token's exchange limit.",
          tags: ['Authentication'],
          'x-optional-body': true,
          querystring: Type.Object({
            api_token: Type.Optional(Type.String({ maxLength: 512 })),
            refresh_token: Type.Optional(Type.String({ maxLength: 512 })),
          }),
          body: Type.Unsafe<FormBody | undefined>({
            content: { [FORM_CONTENT_TYPE]: { schema: ChallengeBody }, 'application/json': { schema: ChallengeBody } },
          }),
          response: withErrors({ 200: RequestOptionsDto }, [400, 401, 403, 404, 429, 500]),
        },
      },
      async (request) => {
        const body: FormBody = request.body ?? Object.create(null);
        const user = await findApiTokenUser(services, pickApiToken(body, request.query));
        const options = await authenticationOptions({ store: services.store, clock: services.clock, relyingParty }, user);
        if (!options) throw new ApiError('authenticator_not_found', 'No passkey is registered for this principal.');
        return options;
      },
    );
  };
}
