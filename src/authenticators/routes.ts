// HTTP routes of the authenticators API (…/principal/mfa/authenticators…), behind the principal-API gate.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { TOKEN_SECURITY } from '../auth/access-token-header.js';
import { claimsOf, principalOf } from '../auth/request-principal.js';
import { ApiError } from '../errors.js';
import { AUTHENTICATED_ERRORS, noContent, withErrors } from '../http/schemas.js';
import { mfaDeps } from '../mfa/device-routes.js';
import { tokenAuthentication } from '../mfa/step-up.js';
import { assertMayDropMfa } from '../orgs/policy-check.js';
import { MFA_BASE } from '../paths.js';
import type { Services } from '../services.js';
import { authenticationOptions } from './assertion.js';
import { listAuthenticators, removeAuthenticator, renameAuthenticator, toPasskeyAuthenticator } from './authenticators.js';
import type { PasskeyDeps } from './deps.js';
import {
  AuthenticationResponseBody,
  AuthenticatorDto,
  AuthenticatorListDto,
  CreationOptionsDto,
  RegisteredAuthenticatorDto,
  RegistrationResponseBody,
  RequestOptionsDto,
  TOTP_AUTHENTICATOR_ID,
} from './dtos.js';
import { registerPasskey, registrationOptions } from './registration.js';
import { relyingPartyOf } from './relying-party.js';

const BASE = `${MFA_BASE}/authenticators`;
const TAGS = ['Principal MFA authenticators'];
const SECURITY = TOKEN_SECURITY;
const ERRORS = [...AUTHENTICATED_ERRORS, 409] as const;
const Name = Type.String({ maxLength: 256, description: '1 to 64 printable characters, trimmed (the rules of deviceName)' });
const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });

export function passkeyDeps(services: Services): PasskeyDeps {
  return { ...mfaDeps(services), relyingParty: relyingPartyOf(services.config) };
}

export function authenticatorRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    const deps = passkeyDeps(services);
    const tokenOf = (request: FastifyRequest) => tokenAuthentication(claimsOf(request), services.config.issuer);

    app.get(
      BASE,
      {
        schema: {
          summary: "List the principal's authenticators",
          tags: TAGS,
          security: SECURITY,
          response: withErrors({ 200: AuthenticatorListDto }, AUTHENTICATED_ERRORS),
        },
      },
      async (request) => ({ authenticators: await listAuthenticators(deps, principalOf(request)) }),
    );

    app.post(
      `${BASE}/webauthn/registration-options`,
      {
        schema: {
          summary: 'Start registering a passkey or security key: creation options with a single-use challenge (5 minutes)',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ name: Name }),
          response: withErrors({ 200: CreationOptionsDto }, ERRORS),
        },
      },
      async (request) => registrationOptions(deps, principalOf(request), request.body.name),
    );

    app.post(
      `${BASE}/webauthn`,
      {
        schema: {
          summary: 'Finish registering a passkey: the RegistrationResponseJSON from navigator.credentials.create()',
          description: 'The first authenticator of any kind turns MFA on and answers with ten recovery codes, shown only now.',
          tags: TAGS,
          security: SECURITY,
          body: RegistrationResponseBody,
          response: withErrors({ 201: RegisteredAuthenticatorDto }, ERRORS),
        },
      },
      async (request, reply) => {
        const { credential, recoveryCodes } = await registerPasskey(deps, principalOf(request), request.body);
        reply.code(201);
        return { ...toPasskeyAuthenticator(credential), ...(recoveryCodes ? { recoveryCodes } : {}) };
      },
    );

    app.post(
      `${BASE}/webauthn/authentication-options`,
      {
        schema: {
          summary: "Request options over the principal's passkeys (for step-up), with a single-use challenge (5 minutes)",
          tags: TAGS,
          security: SECURITY,
          response: withErrors({ 200: RequestOptionsDto }, ERRORS),
        },
      },
      async (request) => {
        const options = await authenticationOptions(deps, principalOf(request));
        if (!options) throw new ApiError('authenticator_not_found', 'No passkey is registered for this principal.');
        return options;
      },
    );

    app.patch(
      `${BASE}/:id`,
      {
        schema: {
          summary: 'Rename an authenticator ("totp" renames the TOTP device)',
          tags: TAGS,
          security: SECURITY,
          params: Id,
          body: Type.Object({ name: Name }),
          response: withErrors({ 200: AuthenticatorDto }, ERRORS),
        },
      },
      async (request) => renameAuthenticator(deps, principalOf(request), request.params.id, request.body.name),
    );

    app.delete(
      `${BASE}/:id`,
      {
        schema: {
          summary: 'Remove an authenticator; the last one turns MFA off and takes the recovery codes with it',
          description:
            '403 mfa_required_by_policy when the organization requires MFA and no activated authenticator of an allowed kind would remain (checked first). Step-up as for removing the TOTP device: a current passcode or recovery code, or a passkey assertion (webauthn, answering …/webauthn/authentication-options), confirms it alone; otherwise the password and an access token whose second factor (amr otp, recovery_code, hwk or swk) is at most --step-up-max-age seconds old.',
          tags: TAGS,
          security: SECURITY,
          params: Id,
          body: Type.Object({
            password: Type.Optional(Type.String({ maxLength: 1024 })),
            passcode: Type.Optional(Type.String({ maxLength: 64 })),
            webauthn: Type.Optional(AuthenticationResponseBody),
          }),
          response: withErrors({ 204: noContent('Removed') }, ERRORS),
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        // The organization's policy answers before any confirmation is checked, as for DELETE …/mfa/device.
        await assertMayDropMfa(services.store, principalOf(request), id === TOTP_AUTHENTICATOR_ID ? 'remove_totp' : { removePasskey: id });
        await removeAuthenticator(deps, principalOf(request), id, { ...request.body, token: tokenOf(request) });
        return reply.code(204).send();
      },
    );
  };
}
