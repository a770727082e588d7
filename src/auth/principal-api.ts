// The principal API as one encapsulated plugin: every route registered in it passes the access-token gate
// first (its one preHandler hook), and reads the authenticated principal with principalOf(request).
import type { FastifyPluginAsync } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../services.js';
import { authenticatePrincipal } from './principal-gate.js';
import { decoratePrincipal } from './request-principal.js';

export function principalApi(services: Services, routes: readonly FastifyPluginAsyncTypebox[]): FastifyPluginAsync {
  return async (app) => {
    decoratePrincipal(app);
    app.addHook('preHandler', authenticatePrincipal(services));
    for (const plugin of routes) await app.register(plugin);
  };
}
