// POST /csp/gateway/iam/vmwid/api/principal/mfa/audit: the principal's MFA audit log, paged; and its retention purge.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { TOKEN_SECURITY } from '../auth/access-token-header.js';
import { principalOf } from '../auth/request-principal.js';
import { AUTHENTICATED_ERRORS, withErrors } from '../http/schemas.js';
import { MFA_BASE } from '../paths.js';
import type { Services } from '../services.js';
import { PagedPostResponseMfaAuditLogDto } from './dtos.js';
import { createAuditExecutor } from './executor.js';
import { PageCursors } from './keyset.js';
import { queryAuditLog } from './query.js';
import { type AuditRetention, scheduleAuditRetention } from './retention.js';

// Dates are plain numbers here so that a float or negative value reaches the feature's own 400 message.
const PrincipalMfaAuditLogRequest = Type.Object(
  {
    startDate: Type.Number({ description: 'Epoch milliseconds (int64)' }),
    endDate: Type.Number({ description: 'Epoch milliseconds (int64), after startDate' }),
    actions: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
    deviceNames: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 100 })),
    eventIds: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
    pageStart: Type.Optional(
      Type.Number({ description: '1-based position of the first result, 0 to 10000; 0 and 1 (the default) both mean the first result' }),
    ),
    pageLimit: Type.Optional(Type.Number({ description: 'Results per page, 1 to 200 (default 20)' })),
  },
  { title: 'PrincipalMfaAuditLogRequest' },
);

export function auditRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    const executor = createAuditExecutor(services.store);
    const reader = { store: services.store, executor, cursors: new PageCursors(), clock: services.clock };
    let retention: AuditRetention | undefined;
    app.addHook('onReady', async () => {
      retention = scheduleAuditRetention({
        store: services.store,
        executor,
        clock: services.clock,
        retentionDays: services.config.auditRetentionDays,
        onPurged: (deleted) => app.log.info({ deleted }, 'expired audit events purged'),
        onError: (err) => app.log.error({ err }, 'audit purge failed; retrying in an hour'),
      });
    });
    app.addHook('onClose', async () => {
      await retention?.stop();
      await executor.close();
    });

    app.post(
      `${MFA_BASE}/audit`,
      {
        schema: {
          summary: 'Get principal MFA audit log',
          description: 'Events of the principal named by the token, newest first.',
          tags: ['Principal MFA'],
          security: TOKEN_SECURITY,
          body: PrincipalMfaAuditLogRequest,
          response: withErrors({ 200: PagedPostResponseMfaAuditLogDto }, [...AUTHENTICATED_ERRORS, 409, 503]),
        },
      },
      async (request) => queryAuditLog(reader, principalOf(request), request.body),
    );
  };
}
