// Issue 9 items 7 and 11, issue 8 item 15: the public key in CSP's PEM and JWKS forms, and OIDC discovery
// at every path clients use, listing exactly the endpoints that exist, with URLs from --public-url and
// never from the request's Host header.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, importSPKI, jwtVerify } from 'jose';
import { loadConfig, publicUrlOf } from '../../src/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { expectAccessTokenAnswer, parseDiscovery, parsePublicKeyDto, type Discovery } from './csp-dtos.js';
import { sendAs } from './raw-request.js';

const ISSUER = 'https://id.example.test/csp/gateway/am/api';
const PUBLIC_URL = 'https://mfa.example.test';
const PUBLIC_KEY = '/csp/gateway/am/api/auth/token-public-key';
const DISCOVERY_PATHS = ['/csp/gateway/am/api/auth/.well-known/openid-configuration', '/csp/gateway/am/api/.well-known/openid-configuration'];

const get = (target: string, extra: [string, string][] = []) => ({
  method: 'GET',
  target,
  headers: [['User-Agent', 'Go-http-client/1.1'], ...extra, ['Accept-Encoding', 'gzip']] as [string, string][],
});

describe('the token public key', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { issuer: ISSUER } });
  });
  after(() => server.close());

  it('issue 9.7: answers the PEM in value without format and with format=pem, and it verifies issued tokens', async () => {
    const { apiToken } = await server.createUser();
    const { access_token: accessToken } = (await server.exchange(apiToken)).body as { access_token: string };
    for (const query of ['', '?format=pem']) {
      const answer = await sendAs(server, get(`${PUBLIC_KEY}${query}`));
      assert.equal(answer.status, 200);
      const dto = parsePublicKeyDto(answer.body);
      assert.equal(dto.alg, 'RS256');
      assert.equal(dto.issuer, ISSUER);
      assert.match(dto.value ?? '', /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n?$/);
      assert.doesNotMatch(answer.body, /PRIVATE/);
      const { payload } = await jwtVerify(accessToken, await importSPKI(dto.value as string, 'RS256'), { issuer: ISSUER, algorithms: ['RS256'] });
      assert.equal(payload.iss, ISSUER);
    }
  });

  it('issue 9.7: answers the keys array with format=jwks', async () => {
    const dto = parsePublicKeyDto((await sendAs(server, get(`${PUBLIC_KEY}?format=jwks`))).body);
    assert.ok((dto.keys ?? []).length >= 1);
    assert.equal(dto.value, undefined);
  });
});

describe('OIDC discovery', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { issuer: ISSUER, publicUrl: PUBLIC_URL, trustProxy: true } });
  });
  after(() => server.close());

  /** A URL the document lists, sent to the server under test (the public URL is a proxy in front of it). */
  const local = (url: string) => {
    assert.ok(url.startsWith(`${PUBLIC_URL}/`), url);
    return url.slice(PUBLIC_URL.length);
  };

  it("issue 9.11: serves the same strict document at CSP's two paths", async () => {
    const bodies: string[] = [];
    for (const path of DISCOVERY_PATHS) {
      const answer = await sendAs(server, get(path));
      assert.equal(answer.status, 200, path);
      parseDiscovery(answer.body);
      bodies.push(answer.body);
    }
    assert.equal(bodies[0], bodies[1]);
  });

  it('issue 9.11: lists the token endpoint, grants, auth methods, algorithms and claims, and only endpoints that exist', async () => {
    const doc = parseDiscovery((await sendAs(server, get(DISCOVERY_PATHS[0] as string))).body);
    assert.equal(doc.issuer, ISSUER);
    assert.equal(doc.token_endpoint, `${PUBLIC_URL}/csp/gateway/am/api/auth/token`);
    // The standard JWK Set, not token-public-key (CSP's answer, RSA only): an ES256 ID token's key is found there.
    assert.equal(doc.jwks_uri, `${PUBLIC_URL}/csp/gateway/am/api/auth/oidc/jwks`);
    assert.deepEqual(doc.grant_types_supported, ['client_credentials', 'refresh_token', 'authorization_code']);
    // 'none': a public sign-in application names itself with client_id and proves itself with PKCE.
    assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ['RS256', 'ES256']);
    assert.deepEqual(doc.response_types_supported, ['code']);
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
    // Interactive sign-in's endpoints (issue 11) exist at the URLs listed; test/signin drives them end to end.
    assert.equal(doc.authorization_endpoint, `${PUBLIC_URL}/csp/gateway/discovery`);
    assert.equal(doc.userinfo_endpoint, `${PUBLIC_URL}/csp/gateway/am/api/auth/userinfo`);
    assert.equal(doc.end_session_endpoint, `${PUBLIC_URL}/csp/gateway/am/api/auth/logout`);
    for (const endpoint of [doc.authorization_endpoint, doc.userinfo_endpoint, doc.end_session_endpoint])
      // (Raw: the authorization endpoint answers a bare GET with an HTML page, not a JSON error.)
      assert.notEqual((await server.app.inject({ method: 'GET', url: local(endpoint as string) })).statusCode, 404, endpoint);
    const jwks = JSON.parse((await sendAs(server, get(local(doc.jwks_uri)))).body) as { keys: Record<string, string>[] };
    assert.deepEqual(
      jwks.keys.map((k) => [k.kty, k.alg, k.use, k.crv]),
      [
        ['RSA', 'RS256', 'sig', undefined],
        ['EC', 'ES256', 'sig', 'P-256'],
      ],
      'RSA keys first, then EC keys, each with its alg',
    );
    for (const key of jwks.keys) assert.equal(key.d, undefined, 'no private member');
    // token-public-key stays CSP's answer: the RSA key alone, under alg RS256.
    const cspKeys = parsePublicKeyDto((await sendAs(server, get(`${PUBLIC_KEY}?format=jwks`))).body);
    assert.equal(cspKeys.alg, 'RS256');
    assert.deepEqual(
      (cspKeys.keys ?? []).map((k) => k.kid),
      jwks.keys.filter((k) => k.kty === 'RSA').map((k) => k.kid),
    );
    // Every grant it lists works at the token endpoint it names.
    const { clientId, clientSecret } = await server.createClient();
    const { apiToken } = await server.createUser();
    const form = (body: string): [string, string][] => [
      ['Content-Type', 'application/x-www-form-urlencoded'],
      ['Content-Length', String(body.length)],
    ];
    const grants: Record<string, string> = {
      client_credentials: `grant_type=client_credentials&client_id=${clientId}&client_secret=${clientSecret}`,
      refresh_token: `grant_type=refresh_token&refresh_token=${apiToken}`,
    };
    const issued: string[] = [];
    // authorization_code needs a browser sign-in: test/signin/oidc-flow.test.ts exchanges real codes.
    for (const grant of doc.grant_types_supported.filter((name) => name !== 'authorization_code')) {
      const body = grants[grant] as string;
      const dto = expectAccessTokenAnswer(await sendAs(server, { method: 'POST', target: local(doc.token_endpoint), headers: form(body), body }));
      issued.push(dto.access_token, ...(dto.id_token ? [dto.id_token] : []));
    }
    // Every claim of every token it issues is listed in claims_supported.
    for (const token of issued) for (const claim of Object.keys(decodeJwt(token))) assert.ok(doc.claims_supported.includes(claim), claim);
  });

  it('finding 8.15: never reflects a forged Host or X-Forwarded-Host header in discovery', async () => {
    for (const path of DISCOVERY_PATHS) {
      const answer = await sendAs(
        server,
        get(path, [
          ['X-Forwarded-Host', 'evil-forwarded.example'],
          ['X-Forwarded-Proto', 'http'],
        ]),
        'evil.example:666',
      );
      assert.equal(answer.status, 200);
      assert.doesNotMatch(answer.body, /evil/);
      const doc: Discovery = parseDiscovery(answer.body);
      for (const url of [doc.jwks_uri, doc.token_endpoint]) assert.ok(url.startsWith(`${PUBLIC_URL}/`), url);
    }
  });
});

describe('discovery at the issuer', () => {
  it('issue 9.11: is also served at <issuer>/.well-known/openid-configuration when the issuer is this server', async () => {
    const server = await startTestServer({ config: { issuer: `${PUBLIC_URL}/tenant-a`, publicUrl: PUBLIC_URL } });
    try {
      const answer = await sendAs(server, get('/tenant-a/.well-known/openid-configuration'));
      assert.equal(answer.status, 200);
      assert.equal(parseDiscovery(answer.body).issuer, `${PUBLIC_URL}/tenant-a`);
    } finally {
      await server.close();
    }
  });

  it('issue 9.11: is not served under the path of an issuer on another host', async () => {
    const server = await startTestServer({ config: { issuer: 'https://elsewhere.example/tenant-b', publicUrl: PUBLIC_URL } });
    try {
      assert.equal((await sendAs(server, get('/tenant-b/.well-known/openid-configuration'))).status, 404);
    } finally {
      await server.close();
    }
  });
});

describe('--public-url', () => {
  it('finding 8.15: is read from the flag or PRINCIPAL_MFA_PUBLIC_URL, flag first, and must be a plain http(s) URL', () => {
    assert.equal(loadConfig(['--public-url', 'https://a.example/'], { PRINCIPAL_MFA_PUBLIC_URL: 'https://b.example' }).publicUrl, 'https://a.example');
    assert.equal(loadConfig([], { PRINCIPAL_MFA_PUBLIC_URL: 'https://b.example/prefix' }).publicUrl, 'https://b.example/prefix');
    assert.throws(() => loadConfig(['--public-url', 'ftp://x.example'], {}), /--public-url/);
    assert.throws(() => loadConfig(['--public-url', 'https://x.example/?q=1'], {}), /--public-url/);
  });

  it("finding 8.15: defaults to the issuer without CSP's /csp/gateway/am/api suffix, else to the issuer's origin", () => {
    assert.equal(publicUrlOf(loadConfig(['--issuer', 'https://mfa.example.com/csp/gateway/am/api'], {})), 'https://mfa.example.com');
    assert.equal(publicUrlOf(loadConfig(['--issuer', 'https://mfa.example.com/prefix/csp/gateway/am/api'], {})), 'https://mfa.example.com/prefix');
    assert.equal(publicUrlOf(loadConfig(['--issuer', 'https://mfa.example.com/realm'], {})), 'https://mfa.example.com');
    assert.equal(
      publicUrlOf(loadConfig(['--issuer', 'https://mfa.example.com/realm', '--public-url', 'https://edge.example.com'], {})),
      'https://edge.example.com',
    );
  });

  it("finding 8.15: in --dev with the default issuer, is the listen address, so that the quick start's discovery works", () => {
    assert.equal(publicUrlOf(loadConfig(['--dev', '--port', '8181'], {})), 'http://127.0.0.1:8181');
    assert.equal(publicUrlOf(loadConfig(['--dev', '--host', '0.0.0.0'], {})), 'http://127.0.0.1:8080');
    assert.equal(publicUrlOf(loadConfig(['--dev', '--issuer', ISSUER], {})), 'https://id.example.test');
  });
});
