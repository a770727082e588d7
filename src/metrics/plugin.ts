// GET /metrics and the hooks that feed it: request count and latency for every route, and the events
// that show up as an HTTP outcome (token grants, activations, refused passcodes, lockouts, rate limits).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, type ErrorCode } from '../errors.js';
import type { Metrics } from './metrics.js';

export const METRICS_PATH = '/metrics';

const TOKEN_GRANTS: Record<string, string> = {
  '/csp/gateway/am/api/auth/api-tokens/authorize': 'api_token',
  '/csp/gateway/am/api/auth/authorize': 'client_credentials',
};
/** The OAuth token endpoint serves several grants: its label is the grant_type, when it is one we offer. */
const OAUTH_TOKEN_ROUTE = '/csp/gateway/am/api/auth/token';
const OAUTH_GRANTS: ReadonlySet<string> = new Set(['client_credentials', 'refresh_token']);

function grantOf(route: string, request: FastifyRequest): string | undefined {
  if (route !== OAUTH_TOKEN_ROUTE) return TOKEN_GRANTS[route];
  const grantType = (request.body as { grant_type?: unknown } | undefined)?.grant_type;
  return typeof grantType === 'string' && OAUTH_GRANTS.has(grantType) ? grantType : 'other';
}
const ACTIVATE_ROUTE = '/csp/gateway/iam/vmwid/api/principal/mfa/device/activate';

const PASSCODE_REFUSALS: ReadonlySet<ErrorCode> = new Set(['wrong_passcode', 'invalid_passcode']);
// auth_rate_limited ("failed_auth") is counted by the error handler, which turns a failure into it.
const RATE_LIMIT_POLICIES: Partial<Record<ErrorCode, string>> = { rate_limited: 'requests', exchange_rate_limited: 'api_token_exchanges' };

/**
 * Registers on the root instance (not as an encapsulated plugin) so its hooks see every route.
 * Call it before the route plugins.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  // The errorCode of a refused request, for the outcome label; set by the error path, read on response.
  const errorCodes = new WeakMap<FastifyRequest, ErrorCode>();

  app.addHook('onError', async (request, _reply, error) => {
    if (!(error instanceof ApiError)) return;
    errorCodes.set(request, error.code);
    if (PASSCODE_REFUSALS.has(error.code)) metrics.passcodeFailures.inc();
    else if (error.code === 'mfa_locked') metrics.lockouts.inc();
    const policy = RATE_LIMIT_POLICIES[error.code];
    if (policy) metrics.rateLimitRejections.inc({ policy });
  });

  // Callback style, not async: this runs on every request, and an async hook costs a promise and a tick.
  app.addHook('onResponse', (request, reply, done) => {
    // The route template, never the raw URL: raw paths would make one series per probe of a scanner.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.http.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    const grant = grantOf(route, request);
    if (grant && request.method === 'POST') {
      metrics.tokenExchanges.inc({ grant, outcome: reply.statusCode === 200 ? 'success' : (errorCodes.get(request) ?? String(reply.statusCode)) });
    }
    if (route === ACTIVATE_ROUTE && reply.statusCode === 200) metrics.mfaActivations.inc();
    done();
  });

  app.get(METRICS_PATH, async (_request, reply) => {
    reply.header('Cache-Control', 'no-store').type(metrics.contentType);
    return metrics.render();
  });
}
