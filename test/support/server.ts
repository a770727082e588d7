// A real server on 127.0.0.1 (random port) over a fresh store, with helpers to make principals and tokens.
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { type Config, DEFAULTS } from '../../src/config.js';
import { hashPassword } from '../../src/principals/passwords.js';
import type { Events } from '../../src/events/events.js';
import { createRedisLimits } from '../../src/limits/redis.js';
import { createServiceAccount } from '../../src/principals/service-accounts.js';
import { createUser, type User } from '../../src/principals/users.js';
import { createServices, type Services } from '../../src/services.js';
import { createApiToken } from '../../src/tokens/api-tokens.js';
import { checkFetchResponse } from './openapi-check.js';
import { openStore } from '../../src/storage/database.js';
import { createTestStore, type TestStore } from './store.js';

export interface TestServer {
  baseUrl: string;
  app: FastifyInstance;
  services: Services;
  testStore: TestStore;
  /** A user with a password and an API token. */
  createUser(username?: string, options?: { password?: string; orgId?: string }): Promise<{ user: User; apiToken: string; password: string }>;
  /** Exchange an API token over HTTP; returns the parsed response and status. */
  exchange(apiToken: string, passcode?: string): Promise<{ status: number; body: any }>;
  /** A user's access token (exchange without passcode). */
  accessTokenFor(username?: string): Promise<{ user: User; accessToken: string; apiToken: string; password: string }>;
  createClient(name?: string): Promise<{ clientId: string; clientSecret: string }>;
  /** fetch() against the server with a csp-auth-token header. */
  call(path: string, init?: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

let counter = 0;

export interface TestServerOptions {
  config?: Partial<Config>;
  clock?: Clock;
  masterKey?: Buffer;
  /** Another copy's database: opened (and closed, not dropped) by this server; default a fresh test store. */
  databaseUrl?: string;
  /** Copies that must share rate limits in Redis use the same prefix; default one of this server's own. */
  redisKeyPrefix?: string;
  /** Listen on this port instead of a random one (an issuer URL or a page's WebAuthn origin names it before the server starts). */
  port?: number;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const testStore: TestStore = options.databaseUrl ? await openSharedStore(options.databaseUrl) : await createTestStore();
  // The second `npm test` run (PRINCIPAL_MFA_TEST_REDIS_URL) keeps limits in Redis, under a key prefix of
  // this server's own so that tests sharing one Redis never count against each other.
  const config: Config = Object.freeze({ ...DEFAULTS, databaseUrl: testStore.url, ...options.config });
  const redisUrl = config.redisUrl ?? process.env.PRINCIPAL_MFA_TEST_REDIS_URL;
  const limits = redisUrl
    ? (events: Events) => createRedisLimits({ ...config, redisUrl }, events, { keyPrefix: options.redisKeyPrefix ?? `pmfa-test-${randomUUID()}` })
    : undefined;
  const services = await createServices(config, { store: testStore.store, clock: options.clock, limits, masterKey: options.masterKey ?? randomBytes(32) });
  const app = await buildApp(services);
  const address = await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const baseUrl = address.replace('localhost', '127.0.0.1');

  const server: TestServer = {
    baseUrl,
    app,
    services,
    testStore,
    async createUser(username = `user${++counter}`, opts = {}) {
      const password = opts.password ?? `pw-${username}-secret`;
      const user = await createUser(services.store, services.clock, { username, orgId: opts.orgId, passwordHash: await hashPassword(password) });
      const apiToken = await createApiToken(services.store, services.clock, user.id);
      return { user, apiToken, password };
    },
    async exchange(apiToken, passcode) {
      const form = new URLSearchParams({ api_token: apiToken });
      if (passcode !== undefined) form.set('passcode', passcode);
      const res = await fetch(`${baseUrl}/csp/gateway/am/api/auth/api-tokens/authorize`, { method: 'POST', body: form });
      await checkFetchResponse(app, 'POST', '/csp/gateway/am/api/auth/api-tokens/authorize', res);
      return { status: res.status, body: await res.json() };
    },
    async accessTokenFor(username) {
      const created = await server.createUser(username);
      const { status, body } = await server.exchange(created.apiToken);
      if (status !== 200) throw new Error(`exchange failed: ${status} ${JSON.stringify(body)}`);
      return { ...created, accessToken: body.access_token as string };
    },
    createClient(name = `client${++counter}`) {
      return createServiceAccount(services.store, services.clock, name);
    },
    async call(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token !== undefined) headers['csp-auth-token'] = init.token;
      let body: string | undefined;
      if (init.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      }
      const res = await fetch(`${baseUrl}${path}`, { method: init.method ?? 'GET', headers, body });
      // Every response a test receives must match the OpenAPI document (status and body schema).
      await checkFetchResponse(app, init.method ?? 'GET', path, res);
      return res;
    },
    async close() {
      await app.close();
      await services.close().catch(() => undefined);
      await testStore.dispose();
    },
  };
  return server;
}

async function openSharedStore(url: string): Promise<TestStore> {
  const store = await openStore(url);
  return { url, store, dispose: () => store.close().catch(() => undefined) };
}

/** A manually driven clock for lifetime and lockout tests. */
export class TestClock implements Clock {
  constructor(public ms = Date.now()) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Asserts a body is a complete CspErrorResponse for the given status, and returns it. */
export function expectCspError(body: any, status: number, requestId?: string | null): { errorCode: string; message: string } {
  const fields = ['statusCode', 'errorCode', 'cspErrorCode', 'message', 'moduleCode', 'requestId'];
  for (const f of fields) if (!(f in body)) throw new Error(`CspErrorResponse lacks ${f}: ${JSON.stringify(body)}`);
  if (Object.keys(body).length !== fields.length) throw new Error(`CspErrorResponse has extra fields: ${JSON.stringify(body)}`);
  if (body.statusCode !== status) throw new Error(`statusCode ${body.statusCode} != HTTP ${status}`);
  if (!Number.isInteger(body.moduleCode)) throw new Error('moduleCode is not an integer');
  if (requestId !== undefined && body.requestId !== requestId) throw new Error(`requestId ${body.requestId} != x-request-id ${requestId}`);
  return body;
}

/** A new service account's access token, by the client-credentials grant over HTTP. */
export async function serviceAccountToken(server: TestServer): Promise<string> {
  const { clientId, clientSecret } = await server.createClient();
  const res = await fetch(`${server.baseUrl}/csp/gateway/am/api/auth/authorize`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
