// The typed client never follows a redirect: fetch would re-send the API token (a POST body kept by 307/308)
// and the csp-auth-token header (fetch strips only Authorization on a cross-origin hop) to wherever the
// Location points. Real servers on 127.0.0.1: the service, a redirector in front of it, and a collector
// on another port (another origin) that records everything it receives.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createClient, CspError, TOKEN_PATH } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const close = (server: Server) => new Promise((resolve) => server.close(resolve));

describe('typed client and redirects', () => {
  let service: TestServer;
  let collector: Server;
  let collectorUrl: string;
  let redirector: Server;
  let redirectorUrl: string;
  const received: Received[] = [];
  /** Which paths the redirector sends elsewhere, with which status; the rest it forwards to the service. */
  let redirects: { status: number; when: (path: string) => boolean } = { status: 307, when: () => true };

  before(async () => {
    service = await startTestServer();
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('collected');
      });
    });
    collectorUrl = await listen(collector);
    redirector = createServer((req, res) => {
      const path = req.url ?? '/';
      if (redirects.when(path)) {
        res.writeHead(redirects.status, { location: `${collectorUrl}${path}` }).end();
        return;
      }
      // Forward to the service, so a client can get an access token through this address.
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', async () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers))
          if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
        const answer = await fetch(`${service.baseUrl}${path}`, { method: req.method, headers, body: body === '' ? undefined : body });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
      });
    });
    redirectorUrl = await listen(redirector);
  });
  after(async () => {
    await close(redirector);
    await close(collector);
    await service.close();
  });

  const secretsSeenElsewhere = (apiToken: string, accessToken?: string) =>
    received.filter(
      (r) =>
        r.body.includes(apiToken) ||
        JSON.stringify(r.headers).includes(apiToken) ||
        (accessToken !== undefined && JSON.stringify(r.headers).includes(accessToken)),
    );

  it('finding 8.13: does not follow a redirect of the token exchange to another origin (the API token stays home)', async () => {
    const { apiToken } = await service.createUser();
    for (const status of [307, 308, 302]) {
      redirects = { status, when: (path) => path.startsWith(TOKEN_PATH) };
      received.length = 0;
      const client = createClient({ baseUrl: redirectorUrl, apiToken });
      const error = await client.getStatus().then(
        () => assert.fail('a redirected exchange must not succeed'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof CspError, String(error));
      assert.equal(error.statusCode, status);
      assert.equal(error.errorCode, 'unexpected_response');
      assert.match(error.message, /redirect/);
      assert.ok(error.message.includes(collectorUrl), error.message);
      assert.deepEqual(secretsSeenElsewhere(apiToken), [], `HTTP ${status}`);
      assert.equal(received.length, 0, `HTTP ${status}: the client followed the redirect`);
    }
  });

  it('finding 8.13: does not follow a redirect of an MFA call to another origin (the access token stays home)', async () => {
    const { apiToken } = await service.createUser();
    redirects = { status: 302, when: (path) => !path.startsWith(TOKEN_PATH) };
    received.length = 0;
    const client = createClient({ baseUrl: redirectorUrl, apiToken });
    const accessToken = await client.accessToken();
    const error = await client.getStatus().then(
      () => assert.fail('a redirected call must not succeed'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CspError, String(error));
    assert.equal(error.statusCode, 302);
    assert.deepEqual(secretsSeenElsewhere(apiToken, accessToken), []);
    assert.equal(received.length, 0, 'the client followed the redirect');
  });

  it('works through the same address when nothing redirects (the redirector only forwards)', async () => {
    const { apiToken, user } = await service.createUser();
    redirects = { status: 302, when: () => false };
    const client = createClient({ baseUrl: redirectorUrl, apiToken });
    assert.deepEqual(await client.getStatus(), { activated: false, turnedOn: false, username: user.username });
  });
});
