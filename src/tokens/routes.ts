// HTTP routes of the CSP token service (/csp/gateway/am/api/auth/…): grants, public keys, discovery.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { exportSPKI } from 'jose';
import { Type } from 'typebox';
import { FORM_CONTENT_TYPE, type FormBody, optionalField } from '../http/form-body.js';
import { withErrors } from '../http/schemas.js';
import type { Services } from '../services.js';
import { registerDiscovery } from './discovery.js';
import { exchangeApiToken } from './exchange.js';
import { AUTHORIZE_GRANTS, type Grant, pickApiToken, runGrant, TOKEN_ENDPOINT_GRANTS } from './grants.js';
import { registerTokenBodyParsers } from './request-body.js';
import { SIGNING_ALGORITHM } from './signing-keys.js';

export { AccessTokenDto, PublicKeyDto } from './dtos.js';

export const AUTH_BASE = '/csp/gateway/am/api/auth';

const API_TOKEN_FIELDS = ['api_token', 'refresh_token', 'passcode', 'scope'] as const;

// Fields of the API-token grant, in a form or a JSON object. Extra fields are allowed: clients send grant_type.
const ApiTokenGrantBody = Type.Object({
  // No maxLength: an over-long token is an invalid grant (and a failed authentication), not a bad request.
  api_token: Type.Optional(Type.String({ description: 'The API token (preferred).' })),
  refresh_token: Type.Optional(Type.String({ description: 'The API token, older name.' })),
  passcode: Type.Optional(Type.String({ maxLength: 64, description: 'The MFA passcode from the registered device, or a recovery code; required when MFA is turned on.' })),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
});
const OAuthTokenForm = Type.Object({
  grant_type: Type.Optional(Type.String({ maxLength: 64, description: 'client_credentials or refresh_token (required).' })),
  client_id: Type.Optional(Type.String({ maxLength: 255, description: 'With client_secret: client authentication without HTTP Basic (RFC 6749 §2.3.1).' })),
  client_secret: Type.Optional(Type.String({ maxLength: 255 })),
  refresh_token: Type.Optional(Type.String({ description: 'refresh_token grant: the API token.' })),
  passcode: Type.Optional(Type.String({ maxLength: 64, description: 'refresh_token grant: the MFA passcode, required when MFA is turned on.' })),
  orgId: Type.Optional(Type.String({ maxLength: 255, description: 'client_credentials grant: must be the client\'s organization.' })),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
});
const ClientCredentialsForm = Type.Object({
  grant_type: Type.Optional(Type.String({ maxLength: 64, description: 'client_credentials' })),
  client_id: Type.Optional(Type.String({ maxLength: 255, description: 'With client_secret, instead of HTTP Basic.' })),
  client_secret: Type.Optional(Type.String({ maxLength: 255 })),
  orgId: Type.Optional(Type.String({ maxLength: 255, description: 'Must be the client\'s organization.' })),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
});

/** A body schema that names its content type, so the OpenAPI document shows form encoding. */
const formBody = (form: ReturnType<typeof Type.Object>) => ({ content: { [FORM_CONTENT_TYPE]: { schema: form } } });

/** The exchange's bodies by content type, so the OpenAPI document shows each, and that it may be empty. */
const exchangeBody = {
  content: {
    [FORM_CONTENT_TYPE]: { schema: ApiTokenGrantBody },
    'application/json': { schema: ApiTokenGrantBody },
    '*/*': { schema: Type.String({ maxLength: 0, description: 'Any other content type, or none: an empty body (the API token in the query).' }) },
  },
};

const bodyOf = (request: FastifyRequest): FormBody => (request.body as FormBody | undefined) ?? Object.create(null);

export function tokenRoutes(services: Services): FastifyPluginAsync {
  const grantRoute = (grants: ReadonlyMap<string, Grant>) => async (request: FastifyRequest) => {
    return runGrant(services, grants, { body: bodyOf(request), authorization: request.headers.authorization, clientAddress: request.ip });
  };

  return async (app) => {
    app.addHook('onSend', async (_request, reply) => {
      reply.header('Cache-Control', 'no-store');
    });

    // The API-token exchange takes form, JSON or an empty body (token in the query), as CSP's clients send it.
    await app.register(async (exchange) => {
      registerTokenBodyParsers(exchange, { jsonFields: API_TOKEN_FIELDS });
      exchange.post(
        `${AUTH_BASE}/api-tokens/authorize`,
        {
          schema: {
            summary: 'Exchange an API token (and MFA passcode) for an access token',
            description:
              'The API token comes as api_token or refresh_token, in a form body, a JSON body or the query; ' +
              'several places must carry the same token. The answer carries the API token back as refresh_token.',
            tags: ['Authentication'],
            'x-optional-body': true,
            querystring: Type.Object({
              api_token: Type.Optional(Type.String({ maxLength: 512, description: 'The API token, with an empty body.' })),
              refresh_token: Type.Optional(Type.String({ maxLength: 512, description: 'The API token, older name, with an empty body.' })),
            }),
            body: exchangeBody,
            response: withErrors({ 200: Type.Ref('AccessTokenDto') }, [400, 401, 403, 429, 500]),
          },
        },
        async (request) => {
                const body = bodyOf(request);
          const apiToken = pickApiToken(body, request.query as { api_token?: string; refresh_token?: string });
          return exchangeApiToken(services, apiToken, optionalField(body, 'passcode'), request.ip);
        },
      );
    });

    // The OAuth endpoints take form bodies only (RFC 6749 §3.2).
    await app.register(async (oauth) => {
      registerTokenBodyParsers(oauth, {});
      oauth.post(
        `${AUTH_BASE}/token`,
        {
          schema: {
            summary: 'OAuth 2.0 token endpoint: client credentials, or the API token as refresh token',
            tags: ['Authentication'],
            body: formBody(OAuthTokenForm),
            response: withErrors({ 200: Type.Ref('AccessTokenDto') }, [400, 401, 403, 429, 500]),
          },
        },
        grantRoute(TOKEN_ENDPOINT_GRANTS),
      );
      oauth.post(
        `${AUTH_BASE}/authorize`,
        {
          schema: {
            summary: 'Client credentials grant for service accounts (HTTP Basic or form fields)',
            tags: ['Authentication'],
            body: formBody(ClientCredentialsForm),
            response: withErrors({ 200: Type.Ref('AccessTokenDto') }, [400, 401, 429, 500]),
          },
        },
        grantRoute(AUTHORIZE_GRANTS),
      );
    });

    app.get(
      `${AUTH_BASE}/token-public-key`,
      {
        schema: {
          summary: 'Public keys that verify access tokens',
          description: 'Without format and with format=pem, value is the PEM of the key that signs new tokens; keys is the JWKS.',
          tags: ['Authentication'],
          querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('jwks'), Type.Literal('pem')])) }),
          response: withErrors({ 200: Type.Ref('PublicKeyDto') }, [400, 500]),
        },
      },
      async (request) => {
        const { keys } = await services.keys.jwks();
        const dto: { alg: string; issuer: string; keys: typeof keys; value?: string } = { alg: SIGNING_ALGORITHM, issuer: services.config.issuer, keys };
        if ((request.query as { format?: string }).format !== 'jwks') {
          // CSP's default form: clients read value ("set in the case of pem format").
          const { kid } = await services.keys.signingKey();
          const key = await services.keys.verificationKey(kid);
          if (key && !(key instanceof Uint8Array)) dto.value = await exportSPKI(key);
        }
        return dto;
      },
    );

    registerDiscovery(app, services, [...TOKEN_ENDPOINT_GRANTS.keys()]);
  };
}
