// Every status code of the seed operation (GET …/principal/mfa/status) through a real socket, and the
// CspErrorResponse contract of errors on any route: six fields, requestId = x-request-id, no token text.
import assert from 'node:assert/strict';
import { generateKeyPair } from 'jose';
import { sql } from 'kysely';
import { kyselyOf } from '../../src/storage/internal.js';
import { after, before, describe, it } from 'node:test';
import { ERRORS } from '../../src/errors.js';
import { deleteUser, setUserEnabled } from '../../src/principals/users.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { expectError } from './error-contract.js';
import { craftToken } from '../tokens/craft.js';
import { rawGet } from './raw-http.js';
import { checkFetchResponse } from '../support/openapi-check.js';

const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const AUTH = '/csp/gateway/am/api/auth';

describe('GET principal MFA status: every status code', () => {
  let server: TestServer;
  const clock = new TestClock();
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  const status = (token?: string, headers?: Record<string, string>) => server.call(STATUS, { token, headers });

  it('answers 200 with Cache-Control no-store and RateLimit headers for a valid user token', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    const res = await status(accessToken);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('ratelimit') ?? '', /r=\d+;t=\d+/);
    assert.match(res.headers.get('ratelimit-policy') ?? '', /q=600;w=60/);
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f]{16}$/);
    assert.deepEqual(await res.json(), { activated: false, turnedOn: false, username: user.username });
  });

  it('answers 401 unauthenticated when the csp-auth-token header is missing or empty', async () => {
    assert.equal(await expectError(await status(), 401), 'unauthenticated');
    assert.equal(await expectError(await status(''), 401), 'unauthenticated');
  });

  // Was a 401 (the security guide's hostile case "the token only in Authorization"); issue 9 item 8 makes
  // Authorization: Bearer, CSP's published scheme, an accepted way to send the token (test/http/bearer-auth.test.ts).
  it('answers 200 when the token is only in Authorization: Bearer', async () => {
    const { accessToken } = await server.accessTokenFor();
    assert.equal((await status(undefined, { authorization: `Bearer ${accessToken}` })).status, 200);
  });

  it('answers 401 invalid_token for malformed tokens', async () => {
    for (const token of ['not-a-jwt', 'a.b.c', 'a.b', '...', 'eyJhbGciOiJSUzI1NiJ9.e30.', '%%%.%%%.%%%']) {
      assert.equal(await expectError(await status(token), 401, [token]), 'invalid_token', token);
    }
  });

  it('answers 401 for a token signed by a key that is not ours under our kid', async () => {
    const { user } = await server.accessTokenFor();
    const { privateKey } = await generateKeyPair('RS256');
    const token = await craftToken(server, user, { key: privateKey });
    assert.equal(await expectError(await status(token), 401, [token]), 'invalid_token');
  });

  it('answers 401 token_expired for an expired token, also one that was accepted before it expired', async () => {
    const { accessToken } = await server.accessTokenFor();
    const fresh = await server.accessTokenFor();
    assert.equal((await status(accessToken)).status, 200);
    const start = clock.ms;
    try {
      clock.advance((1800 + 31) * 1000);
      assert.equal(await expectError(await status(accessToken), 401, [accessToken]), 'token_expired');
      assert.equal(await expectError(await status(fresh.accessToken), 401, [fresh.accessToken]), 'token_expired');
    } finally {
      clock.ms = start;
    }
  });

  it('answers 401 for a token that is not valid yet (nbf in the future)', async () => {
    const { user } = await server.accessTokenFor();
    const token = await craftToken(server, user, { claims: { nbf: Math.floor(clock.now() / 1000) + 300 } });
    assert.equal(await expectError(await status(token), 401, [token]), 'invalid_token');
  });

  it('answers 401 for a token from another issuer, even signed with our key', async () => {
    const { user } = await server.accessTokenFor();
    const token = await craftToken(server, user, { claims: { iss: 'https://evil.example/csp/gateway/am/api' } });
    assert.equal(await expectError(await status(token), 401, [token]), 'invalid_token');
  });

  it('answers 401 token_too_large for a token over the size limit and for a 20 KB token', async () => {
    const limit = server.services.config.maxTokenBytes;
    const { accessToken } = await server.accessTokenFor();
    const padded = `${accessToken}${'A'.repeat(limit + 1 - accessToken.length)}`;
    assert.equal(padded.length, limit + 1);
    assert.equal(await expectError(await status(padded), 401, [accessToken]), 'token_too_large');
    const huge = 'eyJ' + 'A'.repeat(20 * 1024);
    assert.equal(await expectError(await status(huge), 401, [huge]), 'token_too_large');
  });

  it('answers 401 when csp-auth-token is sent twice, even with the same valid token', async () => {
    const { accessToken } = await server.accessTokenFor();
    assert.equal((await status(accessToken)).status, 200);
    const res = await rawGet(server.baseUrl, STATUS, [
      ['csp-auth-token', accessToken],
      ['csp-auth-token', accessToken],
    ]);
    assert.equal(res.status, 401);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = expectCspError(JSON.parse(res.body), 401, res.headers['x-request-id']);
    assert.equal(body.errorCode, 'invalid_token');
    assert.ok(!res.body.includes(accessToken.split('.')[1] as string));
  });

  it('answers 403 service_account_forbidden for a client-credentials token', async () => {
    const { clientId, clientSecret } = await server.createClient();
    const res = await fetch(`${server.baseUrl}${AUTH}/authorize`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    assert.equal(res.status, 200);
    const token = ((await res.json()) as { access_token: string }).access_token;
    assert.equal(await expectError(await status(token), 403, [token]), 'service_account_forbidden');
  });

  it('answers 403 user_disabled for a disabled user, and 200 again once enabled', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    assert.equal((await status(accessToken)).status, 200);
    await setUserEnabled(server.services.store, user.id, false);
    assert.equal(await expectError(await status(accessToken), 403, [accessToken]), 'user_disabled');
    await setUserEnabled(server.services.store, user.id, true);
    assert.equal((await status(accessToken)).status, 200);
  });

  it('answers 404 principal_not_found for a valid token whose user was deleted', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    assert.equal((await status(accessToken)).status, 200);
    await deleteUser(server.services.store, user.id);
    assert.equal(await expectError(await status(accessToken), 404, [accessToken]), 'principal_not_found');
  });

  it('answers 404 not_found for an unknown path and 405 with Allow for a wrong method', async () => {
    assert.equal(await expectError(await server.call('/no/such/path'), 404), 'not_found');
    assert.equal(await expectError(await server.call(`${STATUS}/extra`), 404), 'not_found');
    const post = await server.call(STATUS, { method: 'POST', body: {} });
    assert.equal(post.headers.get('allow'), 'GET');
    assert.equal(await expectError(post, 405), 'method_not_allowed');
    const del = await server.call(`${AUTH}/api-tokens/authorize`, { method: 'DELETE' });
    assert.equal(del.headers.get('allow'), 'POST');
    assert.equal(await expectError(del, 405), 'method_not_allowed');
  });

  it('answers 500 with a generic body when the store fails under the running server, and recovers', async () => {
    const { accessToken } = await server.accessTokenFor();
    assert.equal((await status(accessToken)).status, 200);
    const db = kyselyOf(server.services.store);
    await sql`alter table users rename to users_gone`.execute(db);
    try {
      const res = await status(accessToken);
      const text = await res.clone().text();
      assert.equal(await expectError(res, 500, [accessToken]), 'internal_error');
      assert.equal(JSON.parse(text).message, ERRORS.internal_error.message);
      assert.doesNotMatch(text, /users|select|sqlite|no such table|\bat\s|\.ts:|\.js:/i);
    } finally {
      await sql`alter table users_gone rename to users`.execute(db);
    }
    assert.equal((await status(accessToken)).status, 200);
  });
});

describe('GET principal MFA status: rate limit per principal', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { rateLimitPerMinute: 3 } });
  });
  after(() => server.close());

  it('answers 429 rate_limited with Retry-After and RateLimit headers past --rate-limit-per-minute, per principal', async () => {
    const { accessToken } = await server.accessTokenFor();
    for (let i = 0; i < 3; i++) {
      const res = await server.call(STATUS, { token: accessToken });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('ratelimit') ?? '', new RegExp(`r=${2 - i};t=\\d+`));
    }
    const res = await server.call(STATUS, { token: accessToken });
    assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.ok(Number(res.headers.get('retry-after')) <= 60);
    assert.match(res.headers.get('ratelimit') ?? '', /r=0;t=\d+/);
    assert.match(res.headers.get('ratelimit-policy') ?? '', /q=3;w=60/);
    assert.equal(await expectError(res, 429, [accessToken]), 'rate_limited');

    const other = await server.accessTokenFor();
    assert.equal((await server.call(STATUS, { token: other.accessToken })).status, 200);
  });
});

describe('GET principal MFA status: store closed under the server', () => {
  it('answers 500 with a generic body, not a success, when the store is closed', async () => {
    const server = await startTestServer();
    try {
      const { accessToken } = await server.accessTokenFor();
      assert.equal((await server.call(STATUS, { token: accessToken })).status, 200);
      await server.services.store.close();
      const res = await server.call(STATUS, { token: accessToken });
      const text = await res.clone().text();
      assert.equal(await expectError(res, 500, [accessToken]), 'internal_error');
      assert.doesNotMatch(text, /database|sqlite|connection|\bat\s/i);
    } finally {
      await server.close();
    }
  });
});

describe('HTTP limits', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('answers 431 header_too_large as a CspErrorResponse when the headers pass the header limit', async () => {
    const res = await rawGet(server.baseUrl, STATUS, [['x-filler', 'a'.repeat(40 * 1024)]]);
    assert.equal(res.status, 431);
    const body = expectCspError(JSON.parse(res.body), 431, res.headers['x-request-id']);
    assert.equal(body.errorCode, 'header_too_large');
  });

  it('answers 413 payload_too_large for a token-endpoint body over its limit', async () => {
    const res = await fetch(`${server.baseUrl}${AUTH}/api-tokens/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `api_token=${'a'.repeat(17 * 1024)}`,
    });
    assert.equal(await expectError(res, 413), 'payload_too_large');
  });

  // Regression of the fuzzer's seed 20261201: the router's own refusals came back in Fastify's shape.
  it('answers a path parameter longer than the router accepts with 404 not_found as a CspErrorResponse', async () => {
    const { accessToken } = await server.accessTokenFor();
    const res = await server.call(`/csp/gateway/am/api/orgs/${'a'.repeat(200)}/mfa/principals`, { token: accessToken });
    assert.equal(await expectError(res, 404), 'not_found');
  });

  // Regression of the PostgreSQL fuzz run (seed 20261201): `%00` reached a query and PostgreSQL refused the text.
  it('answers a NUL character in a path parameter or a query value with 400 invalid_request, never a 500', async () => {
    const { accessToken } = await server.accessTokenFor();
    const remove = await server.call('/csp/gateway/iam/vmwid/api/principal/mfa/authenticators/%00', {
      method: 'DELETE',
      token: accessToken,
      body: { password: 'x' },
    });
    assert.equal(await expectError(remove, 400), 'invalid_request');
    const listing = await server.call('/csp/gateway/am/api/orgs/default/mfa/principals?search=a%00', { token: accessToken });
    assert.equal(await expectError(listing, 400), 'invalid_request');
  });

  // Regression of the SQLite fuzz run of 1 December 2026 (seed 20261201): every operation takes a query string,
  // declared or not, so the NUL guard's 400 must be in the document for operations without a query too.
  it('documents the 400 of a NUL character in the query of an operation that declares no query', async () => {
    const { accessToken } = await server.accessTokenFor();
    for (const path of ['/csp/gateway/iam/vmwid/api/principal/mfa/status', '/csp/gateway/am/api/.well-known/openid-configuration']) {
      const res = await server.call(`${path}?%00=%00`, { token: accessToken });
      await checkFetchResponse(server.app, 'GET', `${path}?%00=%00`, res);
      assert.equal(await expectError(res, 400), 'invalid_request');
    }
  });

  it('answers a path that does not decode with 400 invalid_request as a CspErrorResponse', async () => {
    const res = await rawGet(server.baseUrl, '/csp/gateway/am/api/orgs/%E0%A4%A/mfa/policy', []);
    assert.equal(res.status, 400);
    const body = expectCspError(JSON.parse(res.body), 400, res.headers['x-request-id']);
    assert.equal(body.errorCode, 'invalid_request');
  });
});
