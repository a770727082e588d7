// HTTP routes of the principal MFA API (/csp/gateway/iam/vmwid/api/principal/mfa…).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { requireUser, TOKEN_SECURITY } from '../http/authenticate.js';
import { AUTHENTICATED_ERRORS, withErrors } from '../http/schemas.js';
import type { Services } from '../services.js';
import { deviceRoutes } from './device-routes.js';
import { getMfaStatus } from './status.js';

export const MFA_BASE = '/csp/gateway/iam/vmwid/api/principal/mfa';

export const UserMfaStatusDto = Type.Object(
  {
    activated: Type.Boolean({ description: "If the user's MFA is activated" }),
    deviceName: Type.Optional(Type.String({ description: "The user's device name" })),
    turnedOn: Type.Boolean({ description: "If the user's MFA is turned on" }),
    username: Type.String({ description: 'The username of the user' }),
  },
  { $id: 'UserMfaStatusDto' },
);

export function mfaRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    const preHandler = requireUser(services);

    app.get(
      `${MFA_BASE}/status`,
      {
        preHandler,
        schema: {
          summary: 'Get principal MFA status',
          description: 'The principal is identified by the access token in the csp-auth-token header (or Authorization: Bearer).',
          tags: ['Principal MFA'],
          security: TOKEN_SECURITY,
          response: withErrors({ 200: Type.Ref('UserMfaStatusDto') }, AUTHENTICATED_ERRORS.filter((s) => s !== 400)),
        },
      },
      async (request) => getMfaStatus(services.store, request.user!),
    );

    await app.register(deviceRoutes(services));
  };
}
