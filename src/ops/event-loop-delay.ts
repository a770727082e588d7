// Opt-in (--event-loop-stats, for `npm run bench`): the event loop's delay, read and reset over
// POST /debug/event-loop-delay. Not registered unless asked for, so production has no such route.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export const EVENT_LOOP_DELAY_PATH = '/debug/event-loop-delay';

const toMs = (nanoseconds: number) => Math.round(nanoseconds / 1e3) / 1e3;

export function eventLoopDelayRoute(): FastifyPluginAsyncTypebox {
  return async (app) => {
    // 1 ms resolution: the timer that samples the delay fires every millisecond (why this is opt-in).
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    app.addHook('onClose', (_app, done) => {
      histogram.disable();
      done();
    });
    app.post(EVENT_LOOP_DELAY_PATH, { schema: { hide: true } }, async (_request, reply) => {
      reply.header('Cache-Control', 'no-store');
      // Figures since the previous call, so a benchmark can read one phase at a time.
      const figures = {
        samples: histogram.count,
        p50Ms: toMs(histogram.percentile(50)),
        p99Ms: toMs(histogram.percentile(99)),
        maxMs: toMs(histogram.max),
        meanMs: toMs(histogram.mean),
      };
      histogram.reset();
      return figures;
    });
  };
}
