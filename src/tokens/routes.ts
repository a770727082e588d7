// HTTP routes of the CSP token service (/csp/gateway/am/api/auth/…): grants, public keys, discovery.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { exportSPKI } from 'jose';
import { type TSchema, Type } from 'typebox';
import { FORM_CONTENT_TYPE, type FormBody, optionalField } from '../http/form-body.js';
import { refTo, withErrors } from '../http/schemas.js';
import { API_TOKEN_EXCHANGE_PATH, CLIENT_CREDENTIALS_PATH, OIDC_JWKS_PATH, TOKEN_ENDPOINT_PATH, TOKEN_PUBLIC_KEY_PATH } from '../paths.js';
import type { Services } from '../services.js';
import { type DiscoveryExtra, registerDiscovery } from './discovery.js';
import { AccessTokenDto, OidcJwksDto, PublicKeyDto } from './dtos.js';
import { exchangeApiToken } from './exchange.js';
import { AUTHORIZE_GRANTS, type Grant, pickApiToken, runGrant, TOKEN_ENDPOINT_GRANTS } from './grants.js';
import { registerTokenBodyParsers } from './request-body.js';
import { SIGNING_ALGORITHM } from './signing-keys.js';

const API_TOKEN_FIELDS = ['api_token', 'refresh_token', 'passcode', 'webauthn', 'scope'] as const;

// Fields of the API-token grant, in a form or a JSON object. Extra fields are allowed: clients send grant_type.
const ApiTokenGrantBody = Type.Object({
  // No maxLength: an over-long token is an invalid grant (and a failed authentication), not a bad request.
  api_token: Type.Optional(Type.String({ description: 'The API token (preferred).' })),
  refresh_token: Type.Optional(Type.String({ description: 'The API token, older name.' })),
  passcode: Type.Optional(
    Type.String({ maxLength: 64, description: 'The MFA passcode from the registered device, or a recovery code; required when MFA is turned on.' }),
  ),
  webauthn: Type.Optional(
    Type.String({
      maxLength: 12288,
      description:
        'Instead of passcode: a passkey assertion, the AuthenticationResponseJSON (as a JSON string) answering a challenge from POST …/auth/webauthn/challenge.',
    }),
  ),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
});
const OAuthTokenForm = Type.Object({
  grant_type: Type.Optional(Type.String({ maxLength: 64, description: 'client_credentials, refresh_token or authorization_code (required).' })),
  client_id: Type.Optional(Type.String({ maxLength: 255, description: 'With client_secret: client authentication without HTTP Basic (RFC 6749 §2.3.1).' })),
  client_secret: Type.Optional(Type.String({ maxLength: 255 })),
  refresh_token: Type.Optional(Type.String({ description: 'refresh_token grant: the API token, or a refresh token of an interactive sign-in (pmfa_rt_…).' })),
  code: Type.Optional(Type.String({ maxLength: 128, description: 'authorization_code grant: the code from the redirect.' })),
  redirect_uri: Type.Optional(Type.String({ maxLength: 2048, description: 'authorization_code grant: the redirect URI of the authorization request.' })),
  code_verifier: Type.Optional(Type.String({ maxLength: 128, description: 'authorization_code grant: the PKCE verifier (RFC 7636).' })),
  passcode: Type.Optional(Type.String({ maxLength: 64, description: 'refresh_token grant: the MFA passcode, required when MFA is turned on.' })),
  orgId: Type.Optional(Type.String({ maxLength: 255, description: "client_credentials grant: must be the client's organization." })),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
});
const ClientCredentialsForm = Type.Object({
  grant_type: Type.Optional(Type.String({ maxLength: 64, description: 'client_credentials' })),
  client_id: Type.Optional(Type.String({ maxLength: 255, description: 'With client_secret, instead of HTTP Basic.' })),
  client_secret: Type.Optional(Type.String({ maxLength: 255 })),
  orgId: Type.Optional(Type.String({ maxLength: 255, description: "Must be the client's organization." })),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
});

/**
 * A body schema by content type, so the OpenAPI document shows each; the schemas check the fields. Typed as
 * what registerTokenBodyParsers makes of every body: a FormBody, or none when the request has no body.
 */
const bodyByContentType = (content: Record<string, TSchema>) =>
  Type.Unsafe<FormBody | undefined>({ content: Object.fromEntries(Object.entries(content).map(([type, schema]) => [type, { schema }])) });

/** The exchange's bodies, and that it may be empty. */
const exchangeBody = bodyByContentType({
  [FORM_CONTENT_TYPE]: ApiTokenGrantBody,
  'application/json': ApiTokenGrantBody,
  '*/*': Type.String({ maxLength: 0, description: 'Any other content type, or none: an empty body (the API token in the query).' }),
});

/** What a grant reads of its request. */
type GrantHttpRequest = Pick<FastifyRequest, 'headers' | 'ip'> & { body: FormBody | undefined };

const bodyOf = (request: { body: FormBody | undefined }): FormBody => request.body ?? Object.create(null);

/** What a feature adds to the token service: grants of POST …/auth/token (new, or replacing one by name), and their discovery metadata. */
export interface TokenServiceExtension {
  grants: ReadonlyMap<string, Grant>;
  discovery: DiscoveryExtra;
}

export function tokenRoutes(services: Services, extension?: TokenServiceExtension): FastifyPluginAsyncTypebox {
  const tokenEndpointGrants: ReadonlyMap<string, Grant> = new Map([...TOKEN_ENDPOINT_GRANTS, ...(extension?.grants ?? [])]);
  const grantRoute = (grants: ReadonlyMap<string, Grant>) => async (request: GrantHttpRequest) => {
    return runGrant(services, grants, { body: bodyOf(request), authorization: request.headers.authorization, clientAddress: request.ip });
  };

  // The API-token exchange takes form, JSON or an empty body (token in the query), as CSP's clients send it.
  const exchangeRoute: FastifyPluginAsyncTypebox = async (exchange) => {
    registerTokenBodyParsers(exchange, { jsonFields: API_TOKEN_FIELDS });
    exchange.post(
      API_TOKEN_EXCHANGE_PATH,
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
          response: withErrors({ 200: refTo(AccessTokenDto) }, [400, 401, 403, 429, 500]),
        },
      },
      async (request) => {
        const body = bodyOf(request);
        const apiToken = pickApiToken(body, request.query);
        return exchangeApiToken(services, apiToken, optionalField(body, 'passcode'), request.ip, optionalField(body, 'webauthn'));
      },
    );
  };

  // The OAuth endpoints take form bodies only (RFC 6749 §3.2).
  const oauthRoutes: FastifyPluginAsyncTypebox = async (oauth) => {
    registerTokenBodyParsers(oauth, {});
    oauth.post(
      TOKEN_ENDPOINT_PATH,
      {
        schema: {
          summary: 'OAuth 2.0 token endpoint: client credentials, authorization code (PKCE), refresh token (or the API token as refresh token)',
          tags: ['Authentication'],
          body: bodyByContentType({ [FORM_CONTENT_TYPE]: OAuthTokenForm }),
          response: withErrors({ 200: refTo(AccessTokenDto) }, [400, 401, 403, 429, 500]),
        },
      },
      grantRoute(tokenEndpointGrants),
    );
    oauth.post(
      CLIENT_CREDENTIALS_PATH,
      {
        schema: {
          summary: 'Client credentials grant for service accounts (HTTP Basic or form fields)',
          tags: ['Authentication'],
          body: bodyByContentType({ [FORM_CONTENT_TYPE]: ClientCredentialsForm }),
          response: withErrors({ 200: refTo(AccessTokenDto) }, [400, 401, 429, 500]),
        },
      },
      grantRoute(AUTHORIZE_GRANTS),
    );
  };

  return async (app) => {
    app.addHook('onSend', async (_request, reply) => {
      reply.header('Cache-Control', 'no-store');
    });

    await app.register(exchangeRoute);
    await app.register(oauthRoutes);

    app.get(
      TOKEN_PUBLIC_KEY_PATH,
      {
        schema: {
          summary: 'Public keys that verify access tokens',
          description: 'Without format and with format=pem, value is the PEM of the key that signs new tokens; keys is the JWKS.',
          tags: ['Authentication'],
          querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('jwks'), Type.Literal('pem')])) }),
          response: withErrors({ 200: refTo(PublicKeyDto) }, [400, 500]),
        },
      },
      async (request) => {
        const { keys } = await services.keys.jwks();
        // Our public keys carry all six members the schema requires (RS256, `sig`); jose's JWK type leaves each optional.
        const dto: PublicKeyDto = { alg: SIGNING_ALGORITHM, issuer: services.config.issuer, keys: keys as PublicKeyDto['keys'] };
        if (request.query.format !== 'jwks') {
          // CSP's default form: clients read value ("set in the case of pem format").
          const { kid } = await services.keys.signingKey();
          const key = await services.keys.verificationKey(kid);
          if (key && !(key instanceof Uint8Array)) dto.value = await exportSPKI(key);
        }
        return dto;
      },
    );

    app.get(
      OIDC_JWKS_PATH,
      {
        schema: {
          summary: 'OpenID Connect JWK Set: the keys that verify ID tokens (RS256 and ES256)',
          description:
            "Discovery's jwks_uri. Access tokens are RS256 only: their keys are also at token-public-key, and an EC key never verifies an access token.",
          tags: ['Authentication'],
          response: withErrors({ 200: refTo(OidcJwksDto) }, [500]),
        },
      },
      // Our public keys carry exactly the members the schema requires; jose's JWK type leaves each optional.
      async () => (await services.keys.oidcJwks()) as OidcJwksDto,
    );

    registerDiscovery(app, services, [...tokenEndpointGrants.keys()], extension?.discovery);
  };
}
