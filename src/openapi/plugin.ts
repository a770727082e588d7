// The OpenAPI 3.1 document, built by @fastify/swagger from the TypeBox route schemas (no second copy),
// served where CSP serves its own, plus a local Swagger UI at /docs (no CDN, strict CSP, no inline script).
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { withErrors } from '../http/schemas.js';
import { API_DOCS_PATH } from '../paths.js';

export const DOCS_UI_PREFIX = '/docs';

/** Same-origin everything; Swagger UI's files carry no inline script and set styles through the CSSOM only. */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
  "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/** Statuses the framework itself can answer on any operation, whatever the route declares. */
const FRAMEWORK_ERRORS = [500, 503];
/** …and on any operation that takes a body: a malformed, oversized or wrongly typed body. */
const BODY_ERRORS = [400, 413, 415];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/**
 * …and on any operation with a path parameter (one longer than the router's maxParamLength names nothing: 404)
 * and on every operation, since every one takes a query string whether it declares one or not (a NUL character
 * in a parameter or query value: 400, http/nul-guard.ts). All found by the fuzzer.
 */
const PATH_PARAM_ERRORS = [400, 404];
const QUERY_ERRORS = [400];

/** Adds the framework's error statuses (as CspErrorResponse) that a route's own schema does not list. */
function documentFrameworkErrors(schema: Record<string, any>, method: string | string[], url: string): Record<string, any> {
  if (!schema || schema.hide || !Array.isArray(schema.tags)) return schema;
  const methods = Array.isArray(method) ? method : [method];
  const statuses = new Set([
    ...(methods.some((m) => BODY_METHODS.has(m)) ? BODY_ERRORS : []),
    ...(url.includes('/:') ? PATH_PARAM_ERRORS : []),
    ...QUERY_ERRORS,
    ...FRAMEWORK_ERRORS,
  ]);
  const declared: Record<string, unknown> = schema.response ?? {};
  const missing = [...statuses].filter((s) => !(String(s) in declared));
  if (missing.length === 0) return schema;
  // A route without response schemas still answers 200; say so rather than lose the default entry.
  const success = Object.keys(declared).some((s) => s.startsWith('2')) ? {} : { 200: { description: 'Success' } };
  return { ...schema, response: { ...success, ...withErrors({}, missing), ...declared } };
}

/** Route schemas mark with this key a body that may be empty (e.g. the token in the query instead). */
const OPTIONAL_BODY = 'x-optional-body';

/** @fastify/swagger marks every request body required; an operation marked OPTIONAL_BODY says otherwise. */
function markOptionalBodies(document: Record<string, any>): Record<string, any> {
  for (const item of Object.values<any>(document.paths ?? {})) {
    for (const operation of Object.values<any>(item)) {
      if (!operation?.[OPTIONAL_BODY]) continue;
      delete operation[OPTIONAL_BODY];
      if (operation.requestBody) operation.requestBody.required = false;
    }
  }
  return document;
}

export interface OpenApiOptions {
  version?: string;
}

/**
 * Registers the document generator. Must run before any route plugin: @fastify/swagger collects
 * routes through the onRoute hook, so routes registered earlier would be missing from the document.
 */
export async function registerOpenApi(app: FastifyInstance, options: OpenApiOptions = {}): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'principal-mfa',
        version: options.version ?? '0.1.0',
        description: 'Self-hostable implementation of the VMware CSP principal MFA API. Every error status answers with a CspErrorResponse.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      tags: [
        { name: 'Authentication', description: 'CSP token service: API-token exchange, client credentials, public keys.' },
        { name: 'Principal MFA', description: 'The MFA device, recovery codes and audit log of the principal named by the token.' },
        { name: 'Logged-in user', description: 'The profile of the principal named by the token (CSP IAM).' },
      ],
      components: {
        securitySchemes: {
          cspAuthToken: { type: 'apiKey', in: 'header', name: 'csp-auth-token', description: 'An access token from the token service.' },
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: "The same access token as Authorization: Bearer (CSP's published scheme). With both headers, the tokens must be equal.",
          },
        },
      },
    },
    transform: ({ schema, url, route }) => ({ schema: documentFrameworkErrors(schema as Record<string, any>, route.method, route.url) as typeof schema, url }),
    transformObject: (documentObject) => markOptionalBodies((documentObject as { openapiObject: Record<string, any> }).openapiObject) as never,
    // Only tagged routes are API operations; the page at /mfa, /metrics and the like stay out.
    hideUntagged: true,
    // Shared schemas (app.addSchema) become components named by their $id, not def-0, def-1, …
    refResolver: {
      buildLocalReference(json, _baseUri, _fragment, i) {
        return typeof json.$id === 'string' ? json.$id : `def-${i}`;
      },
    },
  });

  await app.register(swaggerUi, {
    routePrefix: DOCS_UI_PREFIX,
    staticCSP: DOCS_CONTENT_SECURITY_POLICY,
    // BaseLayout: no top bar, whose Swagger logo is an SVG with an inline <style> the policy refuses.
    uiConfig: { deepLinking: true, layout: 'BaseLayout' },
  });

  app.get(API_DOCS_PATH, { schema: { hide: true } }, async (_request, reply) => {
    reply.header('Cache-Control', 'no-cache');
    return app.swagger();
  });
}
