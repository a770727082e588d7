// The per-address limit on failed authentications throttles failures only: once an address is over
// the limit its failures get 429, but a valid credential from that address is never refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectError } from './error-contract.js';
import { startTestServer, type TestServer } from '../support/server.js';

const AUTH = '/csp/gateway/am/api/auth';
const EXCHANGE = `${AUTH}/api-tokens/authorize`;
const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const FORM = 'application/x-www-form-urlencoded';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('failed authentications per client address', () => {
  let server: TestServer;
  before(async () => {
    // One trusted proxy hop: the test client plays the proxy and names the client in X-Forwarded-For.
    server = await startTestServer({ config: { failedAuthPerMinute: 3, trustProxy: 1 } });
  });
  after(() => server.close());

  const exchange = (ip: string, apiToken: string) =>
    fetch(`${server.baseUrl}${EXCHANGE}`, { method: 'POST', headers: { 'content-type': FORM, 'x-forwarded-for': ip }, body: `api_token=${apiToken}` });
  const status = (ip: string, token: string) => fetch(`${server.baseUrl}${STATUS}`, { headers: { 'x-forwarded-for': ip, 'csp-auth-token': token } });
  const clientCredentials = (ip: string, clientId: string, secret: string) =>
    fetch(`${server.baseUrl}${AUTH}/authorize`, {
      method: 'POST',
      headers: { 'content-type': FORM, 'x-forwarded-for': ip, authorization: basic(clientId, secret) },
      body: 'grant_type=client_credentials',
    });

  /** Garbage from `ip` until the address is over its limit (the next failure is a 429). */
  async function block(ip: string): Promise<void> {
    for (let i = 0; i < 3; i++) assert.equal((await exchange(ip, 'pmfa_at_garbage')).status, 400);
    assert.equal(await expectError(await exchange(ip, 'pmfa_at_garbage'), 429), 'auth_rate_limited');
  }

  it('finding 8.8: accepts a valid API token from an address that others have failed from', async () => {
    const { apiToken } = await server.createUser();
    await block('10.8.0.1');
    const res = await exchange('10.8.0.1', apiToken);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(typeof ((await res.json()) as { access_token: unknown }).access_token, 'string');
  });

  it('finding 8.8: accepts a valid access token, never seen before, from an address that others have failed from', async () => {
    // Exchanged from another address, so this server has not verified the token yet on the blocked one.
    const { apiToken } = await server.createUser();
    const accessToken = ((await (await exchange('10.8.0.9', apiToken)).json()) as { access_token: string }).access_token;
    await block('10.8.0.2');
    assert.equal((await status('10.8.0.2', accessToken)).status, 200);
  });

  it('finding 8.8: accepts valid client credentials from an address that others have failed from', async () => {
    const { clientId, clientSecret } = await server.createClient();
    await block('10.8.0.3');
    assert.equal((await clientCredentials('10.8.0.3', clientId, clientSecret)).status, 200);
  });

  it('still answers every further failure from a blocked address with 429 auth_rate_limited, Retry-After and RateLimit headers', async () => {
    await block('10.8.0.4');
    const { clientId } = await server.createClient();
    for (const res of [
      await status('10.8.0.4', 'a.b.c'),
      await clientCredentials('10.8.0.4', clientId, 'wrong'),
      await exchange('10.8.0.4', 'pmfa_at_wrong'),
    ]) {
      assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.match(res.headers.get('ratelimit-policy') ?? '', /"failed-auth";q=3;w=60/);
      assert.match(res.headers.get('ratelimit') ?? '', /r=0;t=\d+/);
      assert.equal(await expectError(res, 429), 'auth_rate_limited');
    }
    assert.equal((await exchange('10.8.0.5', 'pmfa_at_wrong')).status, 400, 'another address is not limited');
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    const refused = /^principal_mfa_rate_limit_rejections_total\{policy="failed_auth"\} (\d+)$/m.exec(metrics);
    assert.ok(Number(refused?.[1]) >= 4, 'every refusal is counted in the metrics');
  });
});
