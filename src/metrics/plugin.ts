// GET /metrics and the hook that feeds its HTTP series: request count and latency for every route.
// Everything else it shows is counted from the domain events (metrics.ts), not recognised here.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

export const METRICS_PATH = '/metrics';

/**
 * Registers on the root instance (not as an encapsulated plugin) so its hook sees every route.
 * Call it before the route plugins.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  // Callback style, not async: this runs on every request, and an async hook costs a promise and a tick.
  app.addHook('onResponse', (request, reply, done) => {
    // The route template, never the raw URL: raw paths would make one series per probe of a scanner.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.http.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.get(METRICS_PATH, async (_request, reply) => {
    reply.header('Cache-Control', 'no-store').type(metrics.contentType);
    return metrics.render();
  });
}
