// Structured logs: one JSON line per request carrying the request id sent as x-request-id, and never
// a token or secret, not even from a query string or an unexpected error.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { type Config, DEFAULTS } from '../../src/config.js';
import { createUser } from '../../src/principals/users.js';
import { createServices, type Services } from '../../src/services.js';
import { createApiToken } from '../../src/tokens/api-tokens.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { kyselyOf } from '../../src/storage/internal.js';

const AUTH = '/csp/gateway/am/api/auth';
const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';

describe('request logs', () => {
  const lines: string[] = [];
  let testStore: TestStore;
  let services: Services;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let baseUrl: string;

  before(async () => {
    testStore = await createTestStore();
    const config: Config = Object.freeze({ ...DEFAULTS, databaseUrl: testStore.url });
    services = await createServices(config, { store: testStore.store, masterKey: randomBytes(32) });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    app = await buildApp(services, { logger: pino({ level: 'info' }, sink) });
    baseUrl = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  });
  after(async () => {
    await app.close();
    await services.close().catch(() => undefined);
    await testStore.dispose().catch(() => undefined);
  });

  const logsOf = (requestId: string | null) => lines.map((l) => JSON.parse(l)).filter((entry) => entry.requestId === requestId);

  it('writes JSON lines that carry the x-request-id of each request, without the query string or any token', async () => {
    const user = await createUser(services.store, services.clock, { username: 'logged' });
    const apiToken = await createApiToken(services.store, services.clock, user.id);
    const exchange = await fetch(`${baseUrl}${AUTH}/api-tokens/authorize?refresh_token=${encodeURIComponent(apiToken)}`, { method: 'POST' });
    assert.equal(exchange.status, 200);
    const accessToken = ((await exchange.json()) as { access_token: string }).access_token;
    const ok = await fetch(`${baseUrl}${STATUS}`, { headers: { 'csp-auth-token': accessToken } });
    const bad = await fetch(`${baseUrl}${STATUS}`, { headers: { 'csp-auth-token': `${accessToken}x` } });
    assert.equal(bad.status, 401);
    for (const res of [exchange, ok, bad]) {
      const entries = logsOf(res.headers.get('x-request-id'));
      assert.ok(entries.length >= 1, 'the request id appears in the log');
      assert.ok(entries.some((e) => e.statusCode === res.status));
    }
    const all = lines.join('\n');
    assert.ok(!all.includes(apiToken.slice(8)), 'an API token reached the log');
    assert.ok(!all.includes(accessToken.split('.')[2] as string), 'an access token reached the log');
    assert.ok(!all.includes(accessToken.split('.')[1] as string), 'an access token payload reached the log');
  });

  it('logs the cause of a 500 under its request id, while the client sees a generic body', async () => {
    const user = await createUser(services.store, services.clock, { username: 'faulty' });
    const apiToken = await createApiToken(services.store, services.clock, user.id);
    await sql`alter table users rename to users_away`.execute(kyselyOf(services.store));
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${AUTH}/api-tokens/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `api_token=${apiToken}`,
      });
    } finally {
      await sql`alter table users_away rename to users`.execute(kyselyOf(services.store));
    }
    assert.equal(res.status, 500);
    const body = (await res.json()) as { errorCode: string; requestId: string };
    assert.equal(body.errorCode, 'internal_error');
    const entries = logsOf(res.headers.get('x-request-id'));
    assert.ok(
      entries.some((e) => e.level === 50 && /users/.test(JSON.stringify(e.err ?? {}))),
      'the cause is logged at error level',
    );
    assert.ok(!lines.join('\n').includes(apiToken.slice(8)));
  });
});
