// Probes for a load balancer or orchestrator: GET /healthz (the process answers) and GET /readyz
// (its store and Redis answer; 503 CspErrorResponse otherwise, so traffic goes to other copies).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiError } from '../errors.js';
import { withErrors } from '../http/schemas.js';
import type { Services } from '../services.js';
import { checkReadiness } from './readiness.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

const HealthDto = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });
const ReadyDto = Type.Object({ status: Type.Literal('ready'), store: Type.Literal('ok'), limits: Type.Literal('ok') }, { additionalProperties: false });

export function opsRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      HEALTH_PATH,
      { schema: { hide: true, summary: 'Liveness: the process answers', tags: ['Operations'], response: withErrors({ 200: HealthDto }, [500]) } },
      async (_request, reply) => {
        reply.header('Cache-Control', 'no-store');
        return { status: 'ok' as const };
      },
    );

    app.get(
      READY_PATH,
      {
        schema: {
          hide: true, // operations probes, not part of the CSP API document
          summary: 'Readiness: the store and the shared limit store (Redis, when configured) answer',
          tags: ['Operations'],
          response: withErrors({ 200: ReadyDto }, [500, 503]),
        },
      },
      async (_request, reply) => {
        reply.header('Cache-Control', 'no-store');
        const readiness = await checkReadiness(services.store, services.limits);
        if (!readiness.ready) {
          const down = [!readiness.store && 'store', !readiness.limits && 'redis'].filter(Boolean).join(' and ');
          throw new ApiError('service_unavailable', `Not ready: the ${down} cannot be reached.`, { retryAfterSeconds: 5 });
        }
        return { status: 'ready' as const, store: 'ok' as const, limits: 'ok' as const };
      },
    );
  };
}
