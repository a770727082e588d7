// HTTP route of the principal MFA status (GET …/principal/mfa/status), behind the principal-API gate.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TOKEN_SECURITY } from '../auth/access-token-header.js';
import { principalOf } from '../auth/request-principal.js';
import { AUTHENTICATED_ERRORS, refTo, withErrors } from '../http/schemas.js';
import { MFA_BASE } from '../paths.js';
import type { Services } from '../services.js';
import { UserMfaStatusDto } from './dtos.js';
import { getMfaStatus, needsPasskeyName, toMfaStatus } from './status.js';

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
      // Not async: with the activated device the gate read (our own tokens, the hot path) the answer costs no
      // promise and no tick; without one the passkeys decide, and an outside principal's device is read here.
      (request) => {
        const state = request.principalState;
        if (state && !needsPasskeyName(state.device)) return toMfaStatus(state.user, state.device);
        return getMfaStatus(services.store, principalOf(request), state ? (state.device ?? null) : undefined);
      },
    );
  };
}
