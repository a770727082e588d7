// A PostgreSQL outage during traffic: MFA requests get a quick 503 CspErrorResponse with Retry-After (never a
// wrong answer), /readyz says 503, and the same process serves again once the database is back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { type Config, DEFAULTS } from '../../src/config.js';
import { MFA_BASE } from '../../src/paths.js';
import { createUser } from '../../src/principals/users.js';
import { createServices, type Services } from '../../src/services.js';
import { openStore } from '../../src/storage/database.js';
import { createApiToken } from '../../src/tokens/api-tokens.js';
import { eventually, privatePostgres, type PostgresControl } from '../support/infra.js';
import { expectCspError } from '../support/server.js';

/** Bound on how long one request may take during the outage: the pool's connect/query timeouts are far below it. */
const OUTAGE_ANSWER_BOUND_MS = 20_000;

describe('PostgreSQL outage during traffic', () => {
  let pg: PostgresControl;
  let services: Services;
  let app: FastifyInstance;
  let baseUrl: string;
  let accessToken: string;

  const status = () =>
    fetch(`${baseUrl}${MFA_BASE}/status`, { headers: { 'csp-auth-token': accessToken }, signal: AbortSignal.timeout(OUTAGE_ANSWER_BOUND_MS) });

  before(async () => {
    pg = await privatePostgres();
    const config: Config = Object.freeze({ ...DEFAULTS, databaseUrl: pg.url });
    services = await createServices(config, { store: await openStore(pg.url), masterKey: randomBytes(32) });
    app = await buildApp(services);
    baseUrl = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    const user = await createUser(services.store, services.clock, { username: 'outage-user' });
    const apiToken = await createApiToken(services.store, services.clock, user.id);
    const res = await fetch(`${baseUrl}/csp/gateway/am/api/auth/api-tokens/authorize`, { method: 'POST', body: new URLSearchParams({ api_token: apiToken }) });
    accessToken = ((await res.json()) as { access_token: string }).access_token;
    assert.equal((await status()).status, 200);
  });
  after(async () => {
    await app.close();
    await services.close().catch(() => undefined);
    await pg.dispose();
  });

  /** 503 service_unavailable with Retry-After: the request was fine, the database is away; a retry may succeed. */
  async function expectOutageAnswer(): Promise<void> {
    const res = await status();
    const body = await res.json();
    assert.equal(res.status, 503, `status ${res.status} during the outage: ${JSON.stringify(body)}`);
    assert.equal(expectCspError(body, 503, res.headers.get('x-request-id')).errorCode, 'service_unavailable');
    assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.doesNotMatch(JSON.stringify(body), /postgres|ECONN|connection|terminated/i);
  }

  test('a stopped database gives 503 CspErrorResponses and /readyz 503, then recovers without a restart', async () => {
    await pg.stop();
    try {
      for (let i = 0; i < 3; i++) await expectOutageAnswer();
      assert.equal((await fetch(`${baseUrl}/readyz`)).status, 503);
      assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
    } finally {
      await pg.start();
    }
    await eventually(async () => (await status()).status === 200, 15_000, 'status served again');
    assert.equal((await fetch(`${baseUrl}/readyz`)).status, 200);
  });

  test('a database that stops answering (frozen) gives a 503 bounded by the query timeout, then recovers', async () => {
    await pg.freeze();
    try {
      await expectOutageAnswer();
    } finally {
      await pg.thaw();
    }
    await eventually(async () => (await status()).status === 200, 15_000, 'status served again');
    const body = (await (await status()).json()) as { username: string; activated: boolean };
    assert.equal(body.username, 'outage-user');
    assert.equal(body.activated, false);
  });
});
