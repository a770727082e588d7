// HTTP route of the principal MFA status (GET …/principal/mfa/status), behind the principal-API gate.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TOKEN_SECURITY } from '../auth/access-token-header.js';
import { principalOf } from '../auth/request-principal.js';
import { AUTHENTICATED_ERRORS, refTo, withErrors } from '../http/schemas.js';
import { MFA_BASE } from '../paths.js';
import type { Services } from '../services.js';
import { UserMfaStatusDto } from './dtos.js';
import { getMfaStatus, toMfaStatus } from './status.js';

export function mfaRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      `${MFA_BASE}/status`,
      {
        schema: {
          summary: 'Get principal MFA status',
          description: 'The principal is identified by the access token in the csp-auth-token header (or Authorization: Bearer).',
          tags: ['Principal MFA'],
          security: TOKEN_SECURITY,
          response: withErrors(
            { 200: refTo(UserMfaStatusDto) },
            AUTHENTICATED_ERRORS.filter((s) => s !== 400),
          ),
        },
      },
      // Not async: for our own tokens (the hot path) the gate read the device and the first passkey with the user,
      // so the answer costs no read, no promise and no tick; an outside principal's are read here.
      (request) => {
        const state = request.principalState;
        if (state) return toMfaStatus(state.user, state.device, state.firstPasskeyName);
        return getMfaStatus(services.store, principalOf(request));
      },
    );
  };
}
