// The token service's wire shapes, exactly CSP's: AccessTokenDto, PublicKeyDto, and the discovery document.
// No extra fields: Jackson's default ObjectMapper and Go decoders with DisallowUnknownFields refuse them.
import { type Static, Type } from 'typebox';

export const AccessTokenDto = Type.Object(
  {
    access_token: Type.String({ description: 'The access token (an RS256 JWT), for the csp-auth-token header.' }),
    token_type: Type.String({ description: 'Always bearer.' }),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires, one less than its lifetime, as CSP.' }),
    scope: Type.String({ description: 'The granted permissions, space-separated.' }),
    id_token: Type.Optional(Type.String({ description: 'OIDC ID token of the user (API-token and refresh-token grants).' })),
    refresh_token: Type.Optional(
      Type.String({ description: 'The API token presented, as CSP answers it: clients keep it and send it back on the next exchange.' }),
    ),
  },
  { $id: 'AccessTokenDto', additionalProperties: false },
);
export type AccessTokenDto = Static<typeof AccessTokenDto>;

const JwkSchema = Type.Object(
  { kty: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String(), n: Type.String(), e: Type.String() },
  { additionalProperties: false },
);
export const PublicKeyDto = Type.Object(
  {
    alg: Type.String(),
    issuer: Type.String(),
    keys: Type.Array(JwkSchema, { description: 'Every key that verifies live tokens (JWKS). Sent whatever the format, as it always was here.' }),
    value: Type.Optional(Type.String({ description: 'PEM of the key that signs new tokens; without format and with format=pem.' })),
  },
  { $id: 'PublicKeyDto', additionalProperties: false },
);
export type PublicKeyDto = Static<typeof PublicKeyDto>;

/** One key of the OIDC JWK Set (RFC 7517): RSA members for RS256, EC P-256 members for ES256. */
const OidcJwkSchema = Type.Union([
  Type.Object(
    { kty: Type.Literal('RSA'), kid: Type.String(), alg: Type.Literal('RS256'), use: Type.Literal('sig'), n: Type.String(), e: Type.String() },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kty: Type.Literal('EC'),
      kid: Type.String(),
      alg: Type.Literal('ES256'),
      use: Type.Literal('sig'),
      crv: Type.Literal('P-256'),
      x: Type.String(),
      y: Type.String(),
    },
    { additionalProperties: false },
  ),
]);
export const OidcJwksDto = Type.Object(
  { keys: Type.Array(OidcJwkSchema, { description: 'Every key that verifies a live ID token: the RSA keys first, then the EC keys.' }) },
  { $id: 'OidcJwksDto', additionalProperties: false },
);
export type OidcJwksDto = Static<typeof OidcJwksDto>;

const list = Type.Array(Type.String());
export const OpenIdConfigurationDto = Type.Object(
  {
    issuer: Type.String(),
    authorization_endpoint: Type.Optional(Type.String()),
    jwks_uri: Type.String(),
    token_endpoint: Type.String(),
    userinfo_endpoint: Type.Optional(Type.String()),
    end_session_endpoint: Type.Optional(Type.String()),
    scopes_supported: Type.Optional(list),
    response_modes_supported: Type.Optional(list),
    code_challenge_methods_supported: Type.Optional(list),
    acr_values_supported: Type.Optional(list),
    prompt_values_supported: Type.Optional(list),
    authorization_response_iss_parameter_supported: Type.Optional(Type.Boolean()),
    request_parameter_supported: Type.Optional(Type.Boolean()),
    request_uri_parameter_supported: Type.Optional(Type.Boolean()),
    grant_types_supported: list,
    token_endpoint_auth_methods_supported: list,
    response_types_supported: list,
    subject_types_supported: list,
    id_token_signing_alg_values_supported: list,
    claims_supported: list,
  },
  { additionalProperties: false, description: 'OpenID Connect Discovery 1.0 metadata; only endpoints that exist are listed.' },
);
export type OpenIdConfiguration = Static<typeof OpenIdConfigurationDto>;
