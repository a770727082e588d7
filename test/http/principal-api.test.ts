// The principal-API seam: the gate's request decorations are read through accessors that answer 401 when a
// route reads them without the gate, and the failed-auth limit leaves every other refusal untouched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { limitFailedAuth } from '../../src/auth/failed-auth-limit.js';
import { claimsOf, decoratePrincipal, principalOf } from '../../src/auth/request-principal.js';
import { ApiError } from '../../src/errors.js';
import { registerErrorHandling } from '../../src/http/error-handler.js';
import { memoryRateLimiter } from '../../src/limits/rate-limiter.js';
import { expectCspError } from '../support/server.js';

describe('principal API seam', () => {
  it('answers 401 unauthenticated when a route outside the gate reads the principal or its claims', async () => {
    const app = Fastify({ logger: false });
    registerErrorHandling(app, (_request, refusal) => refusal);
    // Decorated (null) as inside the principal API plugin, and not decorated at all (undefined) as outside it.
    for (const prefix of ['/decorated', '/bare']) {
      await app.register(async (routes) => {
        if (prefix === '/decorated') decoratePrincipal(routes);
        routes.get(`${prefix}/principal`, async (request) => principalOf(request).username);
        routes.get(`${prefix}/claims`, async (request) => claimsOf(request).sub);
      });
    }
    try {
      for (const url of ['/decorated/principal', '/decorated/claims', '/bare/principal', '/bare/claims']) {
        const res = await app.inject({ url });
        assert.equal(res.statusCode, 401);
        assert.equal(expectCspError(res.json(), 401).errorCode, 'unauthenticated');
      }
    } finally {
      await app.close();
    }
  });

  it('hands back a refusal that is not a failed authentication as it is, without counting it or waiting', () => {
    const limiter = memoryRateLimiter('failed-auth', 1, () => assert.fail('nothing may be refused'));
    const filter = limitFailedAuth({ limiter });
    const refusal = new ApiError('principal_not_found');
    // The request is never read for such a refusal.
    assert.equal(filter(undefined as never, refusal), refusal);
    assert.equal(filter(undefined as never, refusal), refusal);
  });
});
