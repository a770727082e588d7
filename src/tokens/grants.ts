// The grants of the OAuth endpoints, one entry per grant_type: a further grant (authorization_code)
// plugs in as one more entry. Also where the API-token exchange finds its token among CSP's four places.
import { ApiError } from '../errors.js';
import type { GrantName } from '../events/events.js';
import { type FormBody, optionalField } from '../http/form-body.js';
import type { Services } from '../services.js';
import { authenticateClient, readClientCredentials } from './client-auth.js';
import type { AccessTokenDto } from './dtos.js';
import { announceGrant, exchangeClientCredentials, issueForApiToken } from './exchange.js';

export interface GrantRequest {
  body: FormBody;
  authorization: string | undefined;
  clientAddress: string;
}

export type Grant = (services: Services, request: GrantRequest) => Promise<AccessTokenDto>;

const clientCredentials: Grant = (services, { body, authorization }) =>
  exchangeClientCredentials(services, readClientCredentials(authorization, body), optionalField(body, 'orgId'));

/**
 * RFC 6749 §6 with the API token as the refresh token, as CSP's api-token grant answers it. API tokens
 * belong to no client; client credentials, when sent, must still be right (never silently ignored).
 */
const refreshToken: Grant = async (services, { body, authorization, clientAddress }) => {
  const client = readClientCredentials(authorization, body);
  if (client?.clientSecret !== undefined) await authenticateClient(services, client);
  const apiToken = optionalField(body, 'refresh_token');
  if (apiToken === undefined) throw new ApiError('invalid_request', 'invalid_request: Send the API token as refresh_token.');
  return issueForApiToken(services, apiToken, optionalField(body, 'passcode'), clientAddress);
};

/** POST …/auth/authorize: CSP's older client-credentials endpoint. */
export const AUTHORIZE_GRANTS: ReadonlyMap<string, Grant> = new Map([['client_credentials', clientCredentials]]);
/** POST …/auth/token: CSP's OAuth 2.0 token endpoint. */
export const TOKEN_ENDPOINT_GRANTS: ReadonlyMap<string, Grant> = new Map([
  ['client_credentials', clientCredentials],
  ['refresh_token', refreshToken],
]);

/**
 * The name a request to an OAuth endpoint is announced under: its grant_type when the endpoint offers it,
 * else 'other'; everything sent to the older /auth/authorize, which offers client_credentials alone, is that grant.
 */
function grantNameOf(grants: ReadonlyMap<string, Grant>, grantType: string | undefined): GrantName {
  if (grantType !== undefined && grants.has(grantType)) return grantType as GrantName; // the tables' keys are grant names
  return grants === AUTHORIZE_GRANTS ? 'client_credentials' : 'other';
}

/** Runs the grant a request asks for and announces how it ended (`grant.succeeded` / `grant.failed`). */
export function runGrant(services: Services, grants: ReadonlyMap<string, Grant>, request: GrantRequest): Promise<AccessTokenDto> {
  return announceGrant(services.events, grantNameOf(grants, optionalField(request.body, 'grant_type')), () => runOfferedGrant(services, grants, request));
}

/** RFC 6749 §5.2: a missing grant_type is invalid_request; one we do not offer, unsupported_grant_type. */
function runOfferedGrant(services: Services, grants: ReadonlyMap<string, Grant>, request: GrantRequest): Promise<AccessTokenDto> {
  const grantType = optionalField(request.body, 'grant_type');
  const offered = [...grants.keys()].join(', ');
  if (grantType === undefined) throw new ApiError('invalid_request', `invalid_request: Send grant_type (${offered}).`);
  const grant = grants.get(grantType);
  if (!grant) throw new ApiError('unsupported_grant_type', `unsupported_grant_type: grant_type must be one of ${offered}.`);
  return grant(services, request);
}

/**
 * The API token of an exchange. CSP's clients send it in four places, taken in this order: body
 * api_token, body refresh_token, query api_token, query refresh_token. Two different values are a
 * 400 rather than a silent choice of one.
 */
export function pickApiToken(body: FormBody, query: { api_token?: string; refresh_token?: string }): string {
  const sent = [optionalField(body, 'api_token'), optionalField(body, 'refresh_token'), query.api_token || undefined, query.refresh_token || undefined];
  const tokens = sent.filter((token): token is string => token !== undefined);
  const [first] = tokens;
  if (first === undefined)
    throw new ApiError('invalid_request', 'invalid_request: Send the API token as form field api_token (or refresh_token, in the body or the query).');
  if (tokens.some((token) => token !== first)) throw new ApiError('invalid_request', 'invalid_request: Two different API tokens were sent; send one.');
  return first;
}
