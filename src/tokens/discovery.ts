// OIDC discovery: one document, built once from the configuration (never from a request's Host header),
// served at CSP's two paths and, when the issuer is this server, at <issuer>/.well-known/openid-configuration.
import type { FastifyInstance } from 'fastify';
import { publicUrlOf } from '../config.js';
import { withErrors } from '../http/schemas.js';
import { AUTH_BASE, CSP_AM_API, OIDC_JWKS_PATH, TOKEN_ENDPOINT_PATH } from '../paths.js';
import type { Services } from '../services.js';
import { type OpenIdConfiguration, OpenIdConfigurationDto } from './dtos.js';
import { KEY_ALGORITHMS } from './signing-keys.js';

const WELL_KNOWN = '/.well-known/openid-configuration';
/** CSP's own discovery paths: under auth/ (CSP's documentation) and under the API base (cited by its users). */
export const CSP_DISCOVERY_PATHS = [`${AUTH_BASE}${WELL_KNOWN}`, `${CSP_AM_API}${WELL_KNOWN}`];
/** Claims of the access and ID tokens this server issues. */
export const CLAIMS = ['iss', 'sub', 'aud', 'azp', 'iat', 'exp', 'jti', 'auth_time', 'amr', 'username', 'acct', 'domain', 'context', 'context_name', 'perms'];

export function buildDiscovery(services: Services, tokenGrants: readonly string[], extra: DiscoveryExtra = {}): OpenIdConfiguration {
  const base = publicUrlOf(services.config);
  return {
    issuer: services.config.issuer,
    // Not token-public-key?format=jwks: that answer is CSP's (an `alg` of RS256 over RSA keys only), and an
    // ES256 ID token's key must be found at jwks_uri. This standard JWK Set holds both.
    jwks_uri: `${base}${OIDC_JWKS_PATH}`,
    token_endpoint: `${base}${TOKEN_ENDPOINT_PATH}`,
    grant_types_supported: [...tokenGrants],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // Required by OIDC Discovery and RFC 8414 parsers. Without interactive sign-in there is no authorization
    // endpoint and no response type can be used; sign-in (signin/token-service.ts) replaces it with ['code'].
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...KEY_ALGORITHMS],
    claims_supported: CLAIMS,
    ...extra,
  };
}

/** Metadata of features that plug into the token service (interactive sign-in): its endpoints and values. */
export type DiscoveryExtra = Partial<OpenIdConfiguration>;

/**
 * Where `<issuer>/.well-known/openid-configuration` lands on this server: the issuer's path below the
 * public URL. Undefined when the issuer is another server, or its path is not a plain route.
 */
export function issuerDiscoveryPath(issuer: string, publicUrl: string): string | undefined {
  if (issuer !== publicUrl && !issuer.startsWith(`${publicUrl}/`)) return undefined;
  const path = `${issuer.slice(publicUrl.length)}${WELL_KNOWN}`;
  // ':' and '*' would be route parameters and wildcards to the router.
  return /^[A-Za-z0-9._~/-]+$/.test(path) ? path : undefined;
}

export function registerDiscovery(app: FastifyInstance, services: Services, tokenGrants: readonly string[], metadata: DiscoveryExtra = {}): void {
  const document = buildDiscovery(services, tokenGrants, metadata);
  const extra = issuerDiscoveryPath(services.config.issuer, publicUrlOf(services.config));
  const paths = extra && !CSP_DISCOVERY_PATHS.includes(extra) ? [...CSP_DISCOVERY_PATHS, extra] : CSP_DISCOVERY_PATHS;
  for (const path of paths) {
    const schema = { summary: 'OpenID Connect discovery', tags: ['Authentication'], response: withErrors({ 200: OpenIdConfigurationDto }, [500]) };
    // The issuer's own path may lie outside CSP's API: served, but not part of the API document.
    app.get(path, { schema: CSP_DISCOVERY_PATHS.includes(path) ? schema : { ...schema, hide: true } }, async () => document);
  }
}
