// buildApp(services): the Fastify application with every hook and route. Reads no env, opens nothing.
import '@fastify/swagger'; // route schema types: summary, tags, security
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { auditRoutes } from './audit/routes.js';
import { webauthnChallengeRoute } from './authenticators/challenge-route.js';
import { authenticatorRoutes } from './authenticators/routes.js';
import { limitFailedAuth } from './auth/failed-auth-limit.js';
import { principalApi } from './auth/principal-api.js';
import { ApiError } from './errors.js';
import { AccessLog } from './http/access-log.js';
import { answerFrameworkError, handleClientError, registerErrorHandling } from './http/error-handler.js';
import { nulInParameters } from './http/nul-guard.js';
import { generateRequestId } from './http/request-id.js';
import { toFastifyTrustProxy } from './http/trust-proxy.js';
import { schemaController } from './http/validation.js';
import { CspErrorResponseSchema } from './http/schemas.js';
import { deviceRoutes } from './mfa/device-routes.js';
import { UserMfaStatusDto } from './mfa/dtos.js';
import { mfaRoutes } from './mfa/routes.js';
import { registerMetrics } from './metrics/plugin.js';
import { registerOpenApi } from './openapi/plugin.js';
import { orgAdminRoutes } from './org-admin/routes.js';
import { eventLoopDelayRoute } from './ops/event-loop-delay.js';
import { opsRoutes } from './ops/routes.js';
import { profileRoutes } from './profile/routes.js';
import type { Services } from './services.js';
import { registerUiRoutes } from './ui/routes.js';
import { AccessTokenDto, OidcJwksDto, PublicKeyDto } from './tokens/dtos.js';
import { tokenRoutes } from './tokens/routes.js';
import { signInRoutes } from './signin/routes.js';
import { signInTokenService } from './signin/token-service.js';
import { userInfoRoutes } from './signin/userinfo.js';

/** Limits that keep a slow or oversized client from stalling the server. */
export const HTTP_LIMITS = {
  bodyLimitBytes: 64 * 1024,
  /** Room for an oversized token to reach the token check and get a proper 401. */
  maxHeaderBytes: 32 * 1024,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
};

export interface AppOptions {
  /** A pino logger; without one the app logs nothing (tests). */
  logger?: FastifyBaseLogger;
}

export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    logController: new AccessLog(),
    genReqId: generateRequestId,
    trustProxy: toFastifyTrustProxy(services.config.trustProxy),
    schemaController,
    bodyLimit: HTTP_LIMITS.bodyLimitBytes,
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
    http: { maxHeaderSize: HTTP_LIMITS.maxHeaderBytes },
    clientErrorHandler: handleClientError,
    frameworkErrors: answerFrameworkError,
    return503OnClosing: false, // our onRequest hook answers with a CspErrorResponse instead
    routerOptions: { ignoreTrailingSlash: false },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // While draining (SIGTERM), requests still arriving on open keep-alive connections get a proper
  // CspErrorResponse 503 and Connection: close, so the load balancer moves them to another copy.
  let draining = false;
  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  // Callback style, not async, and one hook for both jobs: runs on every request, and each hook costs a turn of
  // Fastify's hook runner (an async one also a promise and a tick).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (draining) {
      reply.header('Connection', 'close');
      return done(new ApiError('service_unavailable', 'The server is shutting down; retry on another copy.'));
    }
    done(nulInParameters(request));
  });

  registerErrorHandling(app, limitFailedAuth({ limiter: services.limits.failedAuth }));

  for (const schema of [CspErrorResponseSchema, UserMfaStatusDto, AccessTokenDto, PublicKeyDto, OidcJwksDto]) app.addSchema(schema);
  // Before every route plugin: the document generator only sees routes registered after it.
  await registerOpenApi(app);
  // Root-level hooks (request count/latency, refusals) must exist before the routes they observe.
  registerMetrics(app, services.metrics);
  await app.register(tokenRoutes(services, signInTokenService(services)));
  await app.register(webauthnChallengeRoute(services));
  // Interactive sign-in (OpenID Connect): the authorization endpoint, the sign-in pages, logout, userinfo.
  await app.register(signInRoutes(services));
  await app.register(userInfoRoutes(services));
  // Every route behind the csp-auth-token gate, in one plugin with the gate as its one hook.
  await app.register(
    principalApi(services, [
      mfaRoutes(services),
      deviceRoutes(services),
      authenticatorRoutes(services),
      auditRoutes(services),
      profileRoutes(services),
      orgAdminRoutes(services),
    ]),
  );
  await app.register(opsRoutes(services));
  if (services.config.eventLoopStats) await app.register(eventLoopDelayRoute());
  // The self-service page (GET /mfa and its assets): untagged, so not part of the API document.
  await registerUiRoutes(app);
  return app;
}
