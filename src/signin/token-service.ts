// What interactive sign-in adds to the token service: two grants of POST …/auth/token and the discovery
// metadata of every endpoint it brings. Discovery lists exactly these and nothing that does not exist.
import { publicUrlOf } from '../config.js';
import { AUTHORIZATION_PATH, END_SESSION_PATH, USERINFO_PATH } from '../paths.js';
import type { Services } from '../services.js';
import { CLAIMS } from '../tokens/discovery.js';
import { TOKEN_ENDPOINT_GRANTS } from '../tokens/grants.js';
import type { TokenServiceExtension } from '../tokens/routes.js';
import { ACR_VALUES } from './assurance.js';
import { SUPPORTED_SCOPES } from './authorization-request.js';
import { authorizationCodeGrant, refreshTokenGrant } from './token-grants.js';

export function signInTokenService(services: Services): TokenServiceExtension {
  const base = publicUrlOf(services.config);
  const apiTokenRefresh = TOKEN_ENDPOINT_GRANTS.get('refresh_token');
  if (!apiTokenRefresh) throw new Error('the token endpoint has no refresh_token grant to extend');
  return {
    grants: new Map([
      ['refresh_token', refreshTokenGrant(apiTokenRefresh)],
      ['authorization_code', authorizationCodeGrant],
    ]),
    discovery: {
      authorization_endpoint: `${base}${AUTHORIZATION_PATH}`,
      userinfo_endpoint: `${base}${USERINFO_PATH}`,
      end_session_endpoint: `${base}${END_SESSION_PATH}`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      scopes_supported: [...SUPPORTED_SCOPES],
      code_challenge_methods_supported: ['S256'],
      acr_values_supported: [...ACR_VALUES],
      prompt_values_supported: ['none', 'login'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      claims_supported: [...CLAIMS, 'acr', 'nonce', 'scope', 'preferred_username', 'name', 'email', 'email_verified'],
    },
  };
}
