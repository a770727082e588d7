// The per-API-token limit on exchanges: one token cannot mint access tokens, or write audit rows,
// without bound. Counted for live tokens only; unknown tokens are failed authentications instead.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiToken } from '../../src/tokens/api-tokens.js';
import { exchangeRaw, MFA, postJson } from '../mfa/support.js';
import { expectError } from './error-contract.js';
import { startTestServer, type TestServer } from '../support/server.js';

const EXCHANGE = '/csp/gateway/am/api/auth/api-tokens/authorize';

describe('exchanges per API token', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { apiTokenExchangesPerMinute: 3 } });
  });
  after(() => server.close());

  it('finding 8.7: answers 429 exchange_rate_limited once one API token has been exchanged N times in the window', async () => {
    const { apiToken } = await server.createUser();
    for (let i = 0; i < 3; i++) assert.equal((await exchangeRaw(server, apiToken)).status, 200);
    const res = await fetch(`${server.baseUrl}${EXCHANGE}`, { method: 'POST', body: new URLSearchParams({ api_token: apiToken }) });
    assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.match(res.headers.get('ratelimit-policy') ?? '', /^"api-token-exchange";q=3;w=60$/);
    assert.match(res.headers.get('ratelimit') ?? '', /r=0;t=\d+/);
    assert.equal(await expectError(res, 429, [apiToken]), 'exchange_rate_limited');
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    assert.match(metrics, /^principal_mfa_rate_limit_rejections_total\{policy="api_token_exchanges"\} 1$/m);
  });

  it('finding 8.7: so one API token cannot fill the audit log with AUTHENTICATION_WITHOUT_MFA rows', async () => {
    const { apiToken, user } = await server.createUser();
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await exchangeRaw(server, apiToken)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
    const other = await createApiToken(server.services.store, server.services.clock, user.id);
    const { body } = await exchangeRaw(server, other);
    const audit = await postJson(server, `${MFA}/audit`, body.access_token, { startDate: 0, endDate: server.services.clock.now() + 1 });
    assert.equal(audit.body.totalResults, 4, 'three from the first token, one from the second');
  });

  it('counts each API token apart, and does not count unknown tokens', async () => {
    const { apiToken, user } = await server.createUser();
    for (let i = 0; i < 5; i++) assert.equal((await exchangeRaw(server, 'pmfa_at_unknown')).status, 400);
    const second = await createApiToken(server.services.store, server.services.clock, user.id);
    for (let i = 0; i < 3; i++) assert.equal((await exchangeRaw(server, apiToken)).status, 200);
    assert.equal((await exchangeRaw(server, second)).status, 200, 'another token of the same user has its own window');
    assert.equal((await exchangeRaw(server, apiToken)).status, 429);
  });
});
