// POST /csp/gateway/signin/passkey-options: the request options for "Use a passkey" on the second-factor page.
// Bound to the sign-in in progress: its sealed interaction cookie, the page's CSRF token, and the principal
// whose password was right. The challenge is the passkeys' own (authenticators/challenges.ts): stored hashed,
// single use, five minutes, for this principal; the assertion goes back in the form field `webauthn`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { authenticationOptions } from '../authenticators/assertion.js';
import { RequestOptionsDto } from '../authenticators/dtos.js';
import { relyingPartyOf } from '../authenticators/relying-party.js';
import { ApiError } from '../errors.js';
import type { FormBody } from '../http/form-body.js';
import { withErrors } from '../http/schemas.js';
import { SIGNIN_PASSKEY_OPTIONS_PATH } from '../paths.js';
import { findUserById } from '../principals/users.js';
import type { Services } from '../services.js';
import type { Interaction } from './interaction.js';

const EXPIRED = 'invalid_request: This sign-in has expired or was not started here: reload the page, or sign in again from the application.';

export function registerPasskeyOptions(
  app: FastifyInstance,
  services: Services,
  interactionOf: (request: FastifyRequest, form: FormBody) => Promise<Interaction | undefined>,
): void {
  const relyingParty = relyingPartyOf(services.config);
  app.post(
    SIGNIN_PASSKEY_OPTIONS_PATH,
    {
      schema: {
        hide: true,
        body: Type.Unsafe<FormBody | undefined>({ type: 'object' }),
        response: withErrors({ 200: RequestOptionsDto }, [400, 404, 429, 500]),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const interaction = await interactionOf(request, (request.body as FormBody | undefined) ?? Object.create(null));
      // Only after the password: options name the principal's credential ids, which are nobody else's business.
      const user = interaction?.userId === undefined ? undefined : await findUserById(services.store, interaction.userId);
      if (!interaction || !user) throw new ApiError('invalid_request', EXPIRED);
      const options = await authenticationOptions({ store: services.store, clock: services.clock, relyingParty }, user);
      if (!options) throw new ApiError('authenticator_not_found', 'No passkey is registered for this principal.');
      return options;
    },
  );
}
