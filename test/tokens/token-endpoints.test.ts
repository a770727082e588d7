// The CSP token endpoints through a real socket: API-token exchange, client credentials, JWKS,
// discovery, the strict form body, and the per-address limit on failed authentications.
import assert from 'node:assert/strict';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { after, before, describe, it } from 'node:test';
import { revokeApiTokens } from '../../src/tokens/api-tokens.js';
import { deleteUser } from '../../src/principals/users.js';
import { expectError } from '../http/error-contract.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { kyselyOf } from '../../src/storage/internal.js';

const AUTH = '/csp/gateway/am/api/auth';
const EXCHANGE = `${AUTH}/api-tokens/authorize`;
const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const ISSUER = 'https://id.example.test/csp/gateway/am/api';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FORM = 'application/x-www-form-urlencoded';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('token endpoints', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { issuer: ISSUER, failedAuthPerMinute: 10_000 } });
  });
  after(() => server.close());

  const post = (path: string, body: string | undefined, headers: Record<string, string> = { 'content-type': FORM }) =>
    fetch(`${server.baseUrl}${path}`, { method: 'POST', headers, body });

  async function expectAccessToken(res: Response): Promise<string> {
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const dto = JSON.parse(text);
    assert.equal(dto.token_type, 'bearer');
    assert.equal(dto.expires_in, 1799);
    assert.equal('issued_token_type' in dto, false, 'CSP sends no issued_token_type');
    assert.equal(typeof dto.scope, 'string');
    return dto.access_token as string;
  }

  it('exchanges an API token sent as form field api_token for a CSP access token with every claim', async () => {
    const { user, apiToken } = await server.createUser('claims-user', { orgId: 'org-42' });
    const accessToken = await expectAccessToken(await post(EXCHANGE, new URLSearchParams({ api_token: apiToken }).toString()));
    const header = decodeProtectedHeader(accessToken);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.typ, 'JWT');
    assert.equal(header.kid, (await server.services.keys.signingKey()).kid);
    const claims = decodeJwt(accessToken);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.sub, `local:${user.id}`);
    assert.equal(claims.username, 'claims-user');
    assert.equal(claims.domain, 'local');
    assert.equal(claims.context, 'org-42');
    assert.equal(claims.context_name, 'org-42');
    assert.deepEqual(claims.perms, ['csp:org_member']);
    assert.equal(typeof claims.azp, 'string');
    assert.equal((claims.exp as number) - (claims.iat as number), 1800);
    assert.ok(Math.abs((claims.iat as number) - Date.now() / 1000) < 60);
    assert.match(claims.jti as string, UUID);
    assert.notEqual(decodeJwt(await server.exchange(apiToken).then((r) => r.body.access_token)).jti, claims.jti);
  });

  it('accepts the API token as form field refresh_token and as query parameter refresh_token', async () => {
    const { apiToken } = await server.createUser();
    await expectAccessToken(await post(EXCHANGE, `refresh_token=${encodeURIComponent(apiToken)}`));
    await expectAccessToken(await post(`${EXCHANGE}?refresh_token=${encodeURIComponent(apiToken)}`, undefined, {}));
    await expectAccessToken(await post(EXCHANGE, `api_token=${apiToken}`, { 'content-type': `${FORM}; charset=utf-8` }));
  });

  it('stores API tokens only as hashes of at least 128 random bits', async () => {
    const { apiToken, user } = await server.createUser();
    assert.ok(Buffer.from(apiToken.replace(/^pmfa_at_/, ''), 'base64url').length >= 16);
    const rows = await kyselyOf(server.services.store).selectFrom('api_tokens').selectAll().where('user_id', '=', user.id).execute();
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(apiToken.replace(/^pmfa_at_/, '')));
  });

  it('answers 400 invalid_grant for an unknown, revoked or orphaned API token, without repeating it', async () => {
    const unknown = 'pmfa_at_' + 'x'.repeat(43);
    assert.equal(await expectError(await post(EXCHANGE, `api_token=${unknown}`), 400, [unknown]), 'invalid_grant');
    const revoked = await server.createUser();
    await revokeApiTokens(server.services.store, server.services.clock, revoked.user.id);
    assert.equal(await expectError(await post(EXCHANGE, `api_token=${revoked.apiToken}`), 400, [revoked.apiToken]), 'invalid_grant');
    const orphan = await server.createUser();
    await deleteUser(server.services.store, orphan.user.id);
    assert.equal(await expectError(await post(EXCHANGE, `api_token=${orphan.apiToken}`), 400, [orphan.apiToken]), 'invalid_grant');
    const huge = 'pmfa_at_' + 'y'.repeat(4000);
    assert.equal(await expectError(await post(EXCHANGE, `api_token=${huge}`), 400, [huge]), 'invalid_grant');
  });

  it('answers 400 invalid_request for a body that is neither strict form encoding nor a JSON object', async () => {
    const { apiToken } = await server.createUser();
    const cases: [string, string | undefined, Record<string, string>][] = [
      ['JSON array body', JSON.stringify([apiToken]), { 'content-type': 'application/json' }],
      ['text body', `api_token=${apiToken}`, { 'content-type': 'text/plain' }],
      [
        'multipart body',
        `--b\r\ncontent-disposition: form-data; name="api_token"\r\n\r\n${apiToken}\r\n--b--`,
        { 'content-type': 'multipart/form-data; boundary=b' },
      ],
      ['broken percent-encoding', `api_token=${apiToken}%zz`, { 'content-type': FORM }],
      ['a lone percent sign', `api_token=%`, { 'content-type': FORM }],
      ['duplicate fields', `api_token=${apiToken}&api_token=${apiToken}`, { 'content-type': FORM }],
      ['no token at all', 'passcode=123456', { 'content-type': FORM }],
      ['an empty body', '', { 'content-type': FORM }],
      ['a look-alike content type', `api_token=${apiToken}`, { 'content-type': `${FORM}x` }],
    ];
    for (const [name, body, headers] of cases) {
      const res = await post(EXCHANGE, body, headers);
      assert.equal(await expectError(res, 400, [apiToken]), 'invalid_request', name);
    }
  });

  it('issues client-credentials tokens with HTTP Basic: no username, the client as sub and azp', async () => {
    const { clientId, clientSecret } = await server.createClient('ci-robot');
    const res = await post(`${AUTH}/authorize`, 'grant_type=client_credentials', { 'content-type': FORM, authorization: basic(clientId, clientSecret) });
    const claims = decodeJwt(await expectAccessToken(res));
    assert.equal('username' in claims, false);
    assert.equal(claims.sub, clientId);
    assert.equal(claims.azp, clientId);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.context, 'default');
    assert.equal((claims.exp as number) - (claims.iat as number), 1800);
  });

  it('refuses bad client credentials (401 invalid_client) and a missing or other grant_type (400)', async () => {
    const { clientId, clientSecret } = await server.createClient();
    const auth = (a: string) => ({ 'content-type': FORM, authorization: a });
    const bad = await post(`${AUTH}/authorize`, 'grant_type=client_credentials', auth(basic(clientId, `${clientSecret}x`)));
    assert.equal(await expectError(bad, 401, [clientSecret]), 'invalid_client');
    assert.equal(
      await expectError(await post(`${AUTH}/authorize`, 'grant_type=client_credentials', auth(basic('nobody', clientSecret))), 401),
      'invalid_client',
    );
    assert.equal(await expectError(await post(`${AUTH}/authorize`, 'grant_type=client_credentials'), 401), 'invalid_client');
    assert.equal(await expectError(await post(`${AUTH}/authorize`, 'grant_type=client_credentials', auth('Basic !!!')), 401), 'invalid_client');
    assert.equal(await expectError(await post(`${AUTH}/authorize`, '', auth(basic(clientId, clientSecret))), 400), 'invalid_request');
    assert.equal(await expectError(await post(`${AUTH}/authorize`, 'grant_type=password', auth(basic(clientId, clientSecret))), 400), 'unsupported_grant_type');
    assert.equal(
      await expectError(
        await post(`${AUTH}/authorize`, '{"grant_type":"client_credentials"}', { ...auth(basic(clientId, clientSecret)), 'content-type': 'application/json' }),
        400,
      ),
      'invalid_request',
    );
  });

  it('publishes only public key members in the JWKS, and those keys verify issued tokens', async () => {
    for (const query of ['?format=jwks', '', '?format=pem']) {
      const res = await fetch(`${server.baseUrl}${AUTH}/token-public-key${query}`);
      assert.equal(res.status, 200);
      const text = await res.text();
      const dto = JSON.parse(text);
      assert.equal(dto.alg, 'RS256');
      assert.equal(dto.issuer, ISSUER);
      assert.ok(dto.keys.length >= 1);
      for (const key of dto.keys) {
        assert.deepEqual(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(member in key, false);
      }
      assert.doesNotMatch(text, /PRIVATE/);
      if (query === '?format=pem') assert.match(dto.value, /^-----BEGIN PUBLIC KEY-----/);
    }
    const { apiToken } = await server.createUser();
    const accessToken = (await server.exchange(apiToken)).body.access_token as string;
    const jwks = (await (await fetch(`${server.baseUrl}${AUTH}/token-public-key?format=jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(accessToken, createLocalJWKSet(jwks), { issuer: ISSUER, algorithms: ['RS256'] });
    assert.equal(payload.iss, ISSUER);
  });

  it('shows the configured issuer in discovery, equal to the iss of issued tokens, and a working jwks_uri', async () => {
    const res = await fetch(`${server.baseUrl}${AUTH}/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    const discovery = (await res.json()) as { issuer: string; jwks_uri: string; token_endpoint: string };
    assert.equal(discovery.issuer, ISSUER);
    const { apiToken } = await server.createUser();
    assert.equal(decodeJwt((await server.exchange(apiToken)).body.access_token).iss, discovery.issuer);
    // Without --public-url, URLs start with the issuer minus CSP's API path (this server, behind its public name).
    const publicUrl = 'https://id.example.test';
    assert.ok(discovery.jwks_uri.startsWith(`${publicUrl}/`));
    assert.equal((await fetch(`${server.baseUrl}${discovery.jwks_uri.slice(publicUrl.length)}`)).status, 200);
    assert.equal(discovery.token_endpoint, `${publicUrl}${AUTH}/token`);
  });

  it('answers 405 with Allow for GET on the grant endpoints', async () => {
    const res = await fetch(`${server.baseUrl}${EXCHANGE}`);
    assert.equal(res.headers.get('allow'), 'POST');
    assert.equal(await expectError(res, 405), 'method_not_allowed');
  });
});

describe('failed authentications per client address', () => {
  let server: TestServer;
  before(async () => {
    // Behind a trusted proxy, so that X-Forwarded-For can stand for distinct client addresses.
    server = await startTestServer({ config: { failedAuthPerMinute: 3, trustProxy: true } });
  });
  after(() => server.close());

  const from = (ip: string) => ({ 'content-type': FORM, 'x-forwarded-for': ip });
  const exchange = (ip: string, apiToken: string) =>
    fetch(`${server.baseUrl}${EXCHANGE}`, { method: 'POST', headers: from(ip), body: `api_token=${apiToken}` });

  it('answers 429 auth_rate_limited with Retry-After to failures after M failures from one address, but not to a good token', async () => {
    const { apiToken } = await server.createUser();
    for (let i = 0; i < 3; i++) assert.equal((await exchange('10.0.0.1', 'pmfa_at_wrong')).status, 400);
    assert.equal((await exchange('10.0.0.1', apiToken)).status, 200, "a valid credential is never refused for others' failures");
    const blocked = await exchange('10.0.0.1', 'pmfa_at_wrong');
    assert.match(blocked.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.match(blocked.headers.get('ratelimit-policy') ?? '', /q=3;w=60/);
    assert.match(blocked.headers.get('ratelimit') ?? '', /r=0;t=\d+/);
    assert.equal(await expectError(blocked, 429, [apiToken]), 'auth_rate_limited');
    assert.equal((await exchange('10.0.0.2', apiToken)).status, 200, 'another address is not limited');
  });

  it('counts bad access tokens and bad client secrets toward the same per-address limit', async () => {
    const status = (ip: string, token: string) => fetch(`${server.baseUrl}${STATUS}`, { headers: { 'x-forwarded-for': ip, 'csp-auth-token': token } });
    assert.equal((await status('10.0.0.3', 'a.b.c')).status, 401);
    assert.equal((await status('10.0.0.3', 'x.y.z')).status, 401);
    const { clientId } = await server.createClient();
    const badClient = await fetch(`${server.baseUrl}${AUTH}/authorize`, {
      method: 'POST',
      headers: { ...from('10.0.0.3'), authorization: basic(clientId, 'nope') },
      body: 'grant_type=client_credentials',
    });
    assert.equal(badClient.status, 401);
    assert.equal(await expectError(await status('10.0.0.3', 'q.r.s'), 429), 'auth_rate_limited');
    assert.equal(await expectError(await exchange('10.0.0.3', 'pmfa_at_wrong'), 429), 'auth_rate_limited');
  });
});

describe('failed authentications without a trusted proxy', () => {
  it('ignores X-Forwarded-For, so changing it does not escape the limit', async () => {
    const server = await startTestServer({ config: { failedAuthPerMinute: 2 } });
    try {
      const send = (ip: string) =>
        fetch(`${server.baseUrl}${EXCHANGE}`, { method: 'POST', headers: { 'content-type': FORM, 'x-forwarded-for': ip }, body: 'api_token=pmfa_at_wrong' });
      assert.equal((await send('10.1.0.1')).status, 400);
      assert.equal((await send('10.1.0.2')).status, 400);
      assert.equal(await expectError(await send('10.1.0.3'), 429), 'auth_rate_limited');
    } finally {
      await server.close();
    }
  });
});
