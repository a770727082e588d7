// HTTP routes of the CSP token service (/csp/gateway/am/api/auth/…): grants, public keys, discovery.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { exportSPKI } from 'jose';
import { Type } from 'typebox';
import { ApiError } from '../errors.js';
import { FORM_CONTENT_TYPE, type FormBody, parseFormBody } from '../http/form-body.js';
import { withErrors } from '../http/schemas.js';
import type { Services } from '../services.js';
import { exchangeApiToken, exchangeClientCredentials, parseBasicAuth } from './exchange.js';
import { SIGNING_ALGORITHM } from './signing-keys.js';

export const AUTH_BASE = '/csp/gateway/am/api/auth';

export const AccessTokenDto = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.String(),
    expires_in: Type.Integer(),
    scope: Type.String(),
    id_token: Type.Optional(Type.String()),
    refresh_token: Type.Optional(Type.String()),
    issued_token_type: Type.String(),
  },
  { $id: 'AccessTokenDto' },
);

const JwkSchema = Type.Object({ kty: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String(), n: Type.String(), e: Type.String() }, { additionalProperties: false });
export const PublicKeyDto = Type.Object(
  { alg: Type.String(), issuer: Type.String(), keys: Type.Array(JwkSchema), value: Type.Optional(Type.String()) },
  { $id: 'PublicKeyDto' },
);

// Form fields of the two grants. Extra fields are allowed: CSP clients send e.g. scope or orgId.
const ApiTokenGrantForm = Type.Object({
  // No maxLength: an over-long token is an invalid grant (and a failed authentication), not a bad request.
  api_token: Type.Optional(Type.String({ description: 'The API token (preferred).' })),
  refresh_token: Type.Optional(Type.String({ description: 'The API token, older name; also accepted as a query parameter.' })),
  passcode: Type.Optional(Type.String({ maxLength: 64, description: 'The MFA passcode from the registered device, or a recovery code; required when MFA is turned on.' })),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
});
const ClientCredentialsForm = Type.Object({
  grant_type: Type.Optional(Type.String({ maxLength: 64, description: 'client_credentials' })),
  orgId: Type.Optional(Type.String({ maxLength: 255 })),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
});

/** A body schema that names its content type, so the OpenAPI document shows form encoding. */
function formSchema(schema: ReturnType<typeof Type.Object>) {
  return { content: { [FORM_CONTENT_TYPE]: { schema } } };
}

function formBody(request: FastifyRequest): FormBody {
  return (request.body as FormBody | undefined) ?? Object.create(null);
}

function optionalField(body: FormBody, name: string): string | undefined {
  const value = body[name];
  return value === undefined || value === '' ? undefined : value;
}

export function tokenRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    // Only form encoding is accepted here; any other body type is a 400 invalid_request, as CSP does.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string', bodyLimit: 16 * 1024 }, async (_request: FastifyRequest, body: string) => parseFormBody(body));
    app.addContentTypeParser('*', async () => {
      throw new ApiError('invalid_request', `The request body must be ${FORM_CONTENT_TYPE}.`);
    });
    app.addHook('onSend', async (_request, reply) => {
      reply.header('Cache-Control', 'no-store');
    });

    app.post(
      `${AUTH_BASE}/api-tokens/authorize`,
      {
        schema: {
          summary: 'Exchange an API token (and MFA passcode) for an access token',
          tags: ['Authentication'],
          querystring: Type.Object({ refresh_token: Type.Optional(Type.String({ maxLength: 512 })) }),
          body: formSchema(ApiTokenGrantForm),
          response: withErrors({ 200: Type.Ref('AccessTokenDto') }, [400, 401, 403, 429, 500]),
        },
      },
      async (request) => {
        const body = formBody(request);
        const query = request.query as { refresh_token?: string };
        const apiToken = optionalField(body, 'api_token') ?? optionalField(body, 'refresh_token') ?? query.refresh_token;
        if (!apiToken) throw new ApiError('invalid_request', 'Send the API token as form field api_token.');
        return exchangeApiToken(services, apiToken, optionalField(body, 'passcode'), request.ip);
      },
    );

    app.post(
      `${AUTH_BASE}/authorize`,
      {
        schema: {
          summary: 'Client credentials grant for service accounts (HTTP Basic)',
          tags: ['Authentication'],
          body: formSchema(ClientCredentialsForm),
          response: withErrors({ 200: Type.Ref('AccessTokenDto') }, [400, 401, 429, 500]),
        },
      },
      async (request) => {
        const body = formBody(request);
        // RFC 6749 §5.2: a missing parameter is invalid_request; a grant we do not offer is unsupported_grant_type.
        if (optionalField(body, 'grant_type') === undefined) throw new ApiError('invalid_request', 'Send grant_type=client_credentials.');
        if (body.grant_type !== 'client_credentials') throw new ApiError('unsupported_grant_type', 'grant_type must be client_credentials.');
        const credentials = parseBasicAuth(request.headers.authorization);
        if (!credentials) throw new ApiError('invalid_client', 'Send the client id and secret with HTTP Basic authentication.');
        return exchangeClientCredentials(services, credentials.clientId, credentials.clientSecret);
      },
    );

    app.get(
      `${AUTH_BASE}/token-public-key`,
      {
        schema: {
          summary: 'Public keys that verify access tokens',
          tags: ['Authentication'],
          querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('jwks'), Type.Literal('pem')])) }),
          response: withErrors({ 200: Type.Ref('PublicKeyDto') }, [400, 500]),
        },
      },
      async (request) => {
        const { keys } = await services.keys.jwks();
        const dto: { alg: string; issuer: string; keys: typeof keys; value?: string } = { alg: SIGNING_ALGORITHM, issuer: services.config.issuer, keys };
        if ((request.query as { format?: string }).format === 'pem') {
          // Deprecated in CSP but still served: the PEM of the key that signs new tokens.
          const { kid } = await services.keys.signingKey();
          const key = await services.keys.verificationKey(kid);
          if (key && !(key instanceof Uint8Array)) dto.value = await exportSPKI(key);
        }
        return dto;
      },
    );

    app.get(
      `${AUTH_BASE}/.well-known/openid-configuration`,
      { schema: { summary: 'OpenID Connect discovery', tags: ['Authentication'] } },
      async (request) => {
        const origin = `${request.protocol}://${request.host}`;
        return {
          issuer: services.config.issuer,
          jwks_uri: `${origin}${AUTH_BASE}/token-public-key?format=jwks`,
          token_endpoint: `${origin}${AUTH_BASE}/authorize`,
          grant_types_supported: ['client_credentials', 'urn:vmware:csp:api-token'],
          token_endpoint_auth_methods_supported: ['client_secret_basic'],
          response_types_supported: ['token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
          claims_supported: ['iss', 'sub', 'username', 'domain', 'context', 'context_name', 'perms', 'azp', 'iat', 'exp', 'jti', 'amr', 'auth_time'],
        };
      },
    );
  };
}
