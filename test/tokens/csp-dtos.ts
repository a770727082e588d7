// CSP's own DTOs, written down independently of the server's schemas, and a strict parser for each:
// unknown fields refused and types checked, as Jackson's default ObjectMapper or a Go decoder with
// DisallowUnknownFields reads them. A 200 that such a client cannot parse is a failure.
import { Ajv } from 'ajv';
import type { RawAnswer } from './raw-request.js';

const ajv = new Ajv({ allErrors: true, strict: true });

const string = { type: 'string' };
const strings = { type: 'array', items: string };

/** CSP's AccessTokenDto: exactly these six fields (docs: "AccessTokenDto"). */
const ACCESS_TOKEN_DTO = {
  type: 'object',
  additionalProperties: false,
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
  properties: { access_token: string, token_type: string, expires_in: { type: 'integer' }, scope: string, id_token: string, refresh_token: string },
};

/** CSP's PublicKeyDto: alg, issuer, keys (set for format=jwks), value (set for the PEM form). */
const PUBLIC_KEY_DTO = {
  type: 'object',
  additionalProperties: false,
  required: ['alg', 'issuer'],
  properties: {
    alg: string,
    issuer: string,
    value: string,
    keys: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kty', 'kid', 'n', 'e'],
        properties: { kty: string, kid: string, alg: string, use: string, n: string, e: string },
      },
    },
  },
};

/** CSP's CspErrorResponse: all six fields, nothing else. */
const CSP_ERROR_RESPONSE = {
  type: 'object',
  additionalProperties: false,
  required: ['cspErrorCode', 'errorCode', 'message', 'moduleCode', 'requestId', 'statusCode'],
  properties: { cspErrorCode: string, errorCode: string, message: string, moduleCode: { type: 'integer' }, requestId: string, statusCode: { type: 'integer' } },
};

/** OpenID Connect Discovery 1.0 §3 / RFC 8414 §2 metadata: registered names only. */
const DISCOVERY = {
  type: 'object',
  additionalProperties: false,
  required: [
    'issuer',
    'jwks_uri',
    'token_endpoint',
    'grant_types_supported',
    'token_endpoint_auth_methods_supported',
    'id_token_signing_alg_values_supported',
    'claims_supported',
    'subject_types_supported',
    'response_types_supported',
  ],
  properties: {
    issuer: string,
    jwks_uri: string,
    token_endpoint: string,
    authorization_endpoint: string,
    userinfo_endpoint: string,
    grant_types_supported: strings,
    token_endpoint_auth_methods_supported: strings,
    id_token_signing_alg_values_supported: strings,
    claims_supported: strings,
    subject_types_supported: strings,
    response_types_supported: strings,
    // Interactive sign-in (issue 11): OIDC Discovery 1.0 §3 and RFC 8414 names.
    end_session_endpoint: string,
    scopes_supported: strings,
    response_modes_supported: strings,
    code_challenge_methods_supported: strings,
    acr_values_supported: strings,
    prompt_values_supported: strings,
    authorization_response_iss_parameter_supported: { type: 'boolean' },
    request_parameter_supported: { type: 'boolean' },
    request_uri_parameter_supported: { type: 'boolean' },
  },
};

export interface AccessTokenDto {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}
export interface PublicKeyDto {
  alg: string;
  issuer: string;
  value?: string;
  keys?: { kty: string; kid: string; alg?: string; use?: string; n: string; e: string }[];
}
export interface CspErrorResponse {
  cspErrorCode: string;
  errorCode: string;
  message: string;
  moduleCode: number;
  requestId: string;
  statusCode: number;
}
export interface Discovery {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  userinfo_endpoint?: string;
  authorization_endpoint?: string;
  end_session_endpoint?: string;
  code_challenge_methods_supported?: string[];
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  id_token_signing_alg_values_supported: string[];
  claims_supported: string[];
  subject_types_supported: string[];
  response_types_supported: string[];
}

function strictParser<T>(name: string, schema: object) {
  const validate = ajv.compile(schema);
  return (text: string): T => {
    const value: unknown = JSON.parse(text);
    if (!validate(value)) throw new Error(`${name} refused by a strict parser: ${ajv.errorsText(validate.errors)}: ${text.slice(0, 300)}`);
    return value as T;
  };
}

export const parseAccessTokenDto = strictParser<AccessTokenDto>('AccessTokenDto', ACCESS_TOKEN_DTO);
export const parsePublicKeyDto = strictParser<PublicKeyDto>('PublicKeyDto', PUBLIC_KEY_DTO);
export const parseCspError = strictParser<CspErrorResponse>('CspErrorResponse', CSP_ERROR_RESPONSE);
export const parseDiscovery = strictParser<Discovery>('openid-configuration', DISCOVERY);

/** A 200 with a JSON body, refused from caches, read by the strict AccessTokenDto parser. */
export function expectAccessTokenAnswer(answer: RawAnswer): AccessTokenDto {
  if (answer.status !== 200) throw new Error(`expected 200, got ${answer.status}: ${answer.body}`);
  if (!/^application\/json/.test(answer.headers['content-type'] ?? '')) throw new Error(`not JSON: ${answer.headers['content-type']}`);
  if (answer.headers['cache-control'] !== 'no-store') throw new Error('a token answer must be Cache-Control: no-store');
  return parseAccessTokenDto(answer.body);
}

/** An error answer of the given status, read by the strict CspErrorResponse parser. */
export function expectCspErrorAnswer(answer: RawAnswer, status: number): CspErrorResponse {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${answer.body}`);
  const body = parseCspError(answer.body);
  if (body.statusCode !== status) throw new Error(`statusCode ${body.statusCode} != ${status}`);
  return body;
}
