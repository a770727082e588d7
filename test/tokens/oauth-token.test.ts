// Issue 9 items 5–6: CSP's OAuth 2.0 token endpoint POST /csp/gateway/am/api/auth/token as generic OAuth
// libraries and Terraform providers call it (client credentials by HTTP Basic or form fields, the
// refresh-token grant with the API token), and orgId checked on both client-credentials endpoints.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { codeFor, enrol } from '../mfa/support.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { expectAccessTokenAnswer, expectCspErrorAnswer } from './csp-dtos.js';
import { type ClientShape, lengthOf, sendAs } from './raw-request.js';

const TOKEN = '/csp/gateway/am/api/auth/token';
const AUTHORIZE = '/csp/gateway/am/api/auth/authorize';
const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const ISSUER = 'https://id.example.test/csp/gateway/am/api';
const FORM = 'application/x-www-form-urlencoded';

/** RFC 6749 §2.3.1: each part form-urlencoded, then joined by ':' and base64-encoded (Go's url.QueryEscape). */
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** golang.org/x/oauth2 (clientcredentials.Config, AuthStyleInHeader): Basic auth, grant in the form. */
const goOauth2Header = (authorization: string, body: string, target = TOKEN): ClientShape => ({
  method: 'POST',
  target,
  headers: [['User-Agent', 'Go-http-client/1.1'], lengthOf(body), ['Authorization', authorization], ['Content-Type', FORM], ['Accept-Encoding', 'gzip']],
  body,
});
/** golang.org/x/oauth2 (AuthStyleInParams): client_id and client_secret as form fields. */
const goOauth2Params = (body: string, target = TOKEN): ClientShape => ({
  method: 'POST',
  target,
  headers: [['User-Agent', 'Go-http-client/1.1'], lengthOf(body), ['Content-Type', FORM], ['Accept-Encoding', 'gzip']],
  body,
});

describe('the OAuth token endpoint', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { issuer: ISSUER, failedAuthPerMinute: 10_000 } });
  });
  after(() => server.close());

  it('issue 9.5: issues a client-credentials token with HTTP Basic, as golang.org/x/oauth2 sends it', async () => {
    const { clientId, clientSecret } = await server.createClient('terraform');
    const dto = expectAccessTokenAnswer(await sendAs(server, goOauth2Header(basic(clientId, clientSecret), 'grant_type=client_credentials')));
    assert.deepEqual(Object.keys(dto).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(dto.token_type, 'bearer');
    assert.equal(dto.expires_in, 1799);
    const claims = decodeJwt(dto.access_token);
    assert.equal(claims.sub, clientId);
    assert.equal(claims.azp, clientId);
    assert.equal(claims.iss, ISSUER);
    assert.equal('username' in claims, false);
  });

  it('issue 9.5: issues a client-credentials token with client_id and client_secret form fields (RFC 6749 §2.3.1)', async () => {
    const { clientId, clientSecret } = await server.createClient();
    const body = `client_id=${encodeURIComponent(clientId)}&client_secret=${encodeURIComponent(clientSecret)}&grant_type=client_credentials&scope=`;
    const dto = expectAccessTokenAnswer(await sendAs(server, goOauth2Params(body)));
    assert.equal(decodeJwt(dto.access_token).sub, clientId);
    // The older endpoint takes the same client authentication.
    assert.equal(decodeJwt(expectAccessTokenAnswer(await sendAs(server, goOauth2Params(body, AUTHORIZE))).access_token).sub, clientId);
  });

  it('issue 9.5: refuses wrong client credentials with 401 invalid_client, and WWW-Authenticate when Basic was used', async () => {
    const { clientId, clientSecret } = await server.createClient();
    const viaBasic = await sendAs(server, goOauth2Header(basic(clientId, `${clientSecret}x`), 'grant_type=client_credentials'));
    const error = expectCspErrorAnswer(viaBasic, 401);
    assert.equal(error.errorCode, 'invalid_client');
    assert.match(error.message, /^invalid_client: /);
    assert.match(viaBasic.headers['www-authenticate'] ?? '', /^Basic realm="/);
    assert.ok(!viaBasic.body.includes(clientSecret));
    const viaForm = await sendAs(server, goOauth2Params(`client_id=${clientId}&client_secret=wrong&grant_type=client_credentials`));
    assert.equal(expectCspErrorAnswer(viaForm, 401).errorCode, 'invalid_client');
    assert.equal(expectCspErrorAnswer(await sendAs(server, goOauth2Params('grant_type=client_credentials')), 401).errorCode, 'invalid_client');
    assert.equal(
      expectCspErrorAnswer(await sendAs(server, goOauth2Params(`client_id=${clientId}&grant_type=client_credentials`)), 401).errorCode,
      'invalid_client',
    );
  });

  it('issue 9.5: refuses two client authentication methods in one request (RFC 6749 §2.3) with 400 invalid_request', async () => {
    const { clientId, clientSecret } = await server.createClient();
    const body = `grant_type=client_credentials&client_id=${clientId}&client_secret=${clientSecret}`;
    assert.equal(expectCspErrorAnswer(await sendAs(server, goOauth2Header(basic(clientId, clientSecret), body)), 400).errorCode, 'invalid_request');
    // client_id in the form as well as in Basic is no second method, as long as it names the same client.
    expectAccessTokenAnswer(await sendAs(server, goOauth2Header(basic(clientId, clientSecret), `grant_type=client_credentials&client_id=${clientId}`)));
    const other = await server.createClient();
    assert.equal(
      expectCspErrorAnswer(
        await sendAs(server, goOauth2Header(basic(clientId, clientSecret), `grant_type=client_credentials&client_id=${other.clientId}`)),
        400,
      ).errorCode,
      'invalid_request',
    );
  });

  it('issue 9.5: exchanges the API token as a refresh token, answering what the api-token grant answers', async () => {
    const { user, apiToken } = await server.createUser();
    // x/oauth2's TokenSource with an empty client id still sends "Authorization: Basic Og==" (":").
    const dto = expectAccessTokenAnswer(await sendAs(server, goOauth2Header('Basic Og==', `grant_type=refresh_token&refresh_token=${apiToken}`)));
    assert.deepEqual(Object.keys(dto).sort(), ['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
    assert.equal(dto.refresh_token, apiToken);
    assert.equal(decodeJwt(dto.id_token as string).sub, `local:${user.id}`);
    const status = await server.call(STATUS, { token: dto.access_token });
    assert.equal(status.status, 200);
    // And again with what came back, as a generic OAuth library refreshes.
    expectAccessTokenAnswer(await sendAs(server, goOauth2Params(`grant_type=refresh_token&refresh_token=${dto.refresh_token}`)));
  });

  it("issue 9.5: a bad refresh token is 400 invalid_grant with CSP's message; presented client credentials must be right", async () => {
    const bad = expectCspErrorAnswer(await sendAs(server, goOauth2Params('grant_type=refresh_token&refresh_token=pmfa_at_nope')), 400);
    assert.equal(bad.errorCode, 'invalid_grant');
    assert.match(bad.message, /^invalid_grant: Invalid refresh token/);
    const missing = expectCspErrorAnswer(await sendAs(server, goOauth2Params('grant_type=refresh_token')), 400);
    assert.equal(missing.errorCode, 'invalid_request');
    const { apiToken } = await server.createUser();
    const { clientId } = await server.createClient();
    const wrongClient = await sendAs(server, goOauth2Header(basic(clientId, 'not-the-secret'), `grant_type=refresh_token&refresh_token=${apiToken}`));
    assert.equal(expectCspErrorAnswer(wrongClient, 401).errorCode, 'invalid_client');
  });

  it('issue 9.5: answers 400 invalid_request without grant_type and 400 unsupported_grant_type for a grant it does not offer', async () => {
    const { clientId, clientSecret } = await server.createClient();
    const auth = basic(clientId, clientSecret);
    const none = expectCspErrorAnswer(await sendAs(server, goOauth2Header(auth, 'scope=x')), 400);
    assert.equal(none.errorCode, 'invalid_request');
    assert.match(none.message, /^invalid_request: /);
    // (authorization_code is offered since interactive sign-in, issue 11: test/signin.)
    for (const grant of ['password', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer']) {
      const answer = expectCspErrorAnswer(await sendAs(server, goOauth2Header(auth, `grant_type=${encodeURIComponent(grant)}&code=abc`)), 400);
      assert.equal(answer.errorCode, 'unsupported_grant_type', grant);
      assert.match(answer.message, /^unsupported_grant_type: /);
    }
  });

  it('issue 9.5: counts its grants in /metrics by grant_type, and anything else as other', async () => {
    const count = async (grant: string, outcome: string) => {
      const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('principal_mfa_token_exchanges_total{') && l.includes(`grant="${grant}"`) && l.includes(`outcome="${outcome}"`));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const [successes, others] = [await count('refresh_token', 'success'), await count('other', 'unsupported_grant_type')];
    const { apiToken } = await server.createUser();
    expectAccessTokenAnswer(await sendAs(server, goOauth2Params(`grant_type=refresh_token&refresh_token=${apiToken}`)));
    expectCspErrorAnswer(await sendAs(server, goOauth2Params('grant_type=password')), 400);
    assert.deepEqual([await count('refresh_token', 'success'), await count('other', 'unsupported_grant_type')], [successes + 1, others + 1]);
  });

  it('issue 9.5: takes form bodies only (RFC 6749 §3.2), and answers 405 with Allow for GET', async () => {
    const { clientId, clientSecret } = await server.createClient();
    const json: ClientShape = {
      ...goOauth2Header(basic(clientId, clientSecret), '{"grant_type":"client_credentials"}'),
      headers: [['Content-Type', 'application/json'], ['Authorization', basic(clientId, clientSecret)], lengthOf('{"grant_type":"client_credentials"}')],
    };
    assert.equal(expectCspErrorAnswer(await sendAs(server, json), 400).errorCode, 'invalid_request');
    const get = await sendAs(server, { method: 'GET', target: TOKEN, headers: [['Accept', 'application/json']] });
    assert.equal(get.headers.allow, 'POST');
    assert.equal(expectCspErrorAnswer(get, 405).errorCode, 'method_not_allowed');
  });
});

describe('orgId in a client-credentials request', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { issuer: ISSUER, failedAuthPerMinute: 10_000 } });
  });
  after(() => server.close());

  it('issue 9.6: a matching orgId works on both endpoints; a mismatching one is 400 invalid_request and mints nothing', async () => {
    const { clientId, clientSecret } = await server.createClient();
    const auth = basic(clientId, clientSecret);
    for (const target of [TOKEN, AUTHORIZE]) {
      const ok = expectAccessTokenAnswer(await sendAs(server, goOauth2Header(auth, 'grant_type=client_credentials&orgId=default', target)));
      assert.equal(decodeJwt(ok.access_token).context, 'default');
      const wrong = expectCspErrorAnswer(await sendAs(server, goOauth2Header(auth, 'grant_type=client_credentials&orgId=someone-elses-org', target)), 400);
      assert.equal(wrong.errorCode, 'invalid_request', target);
      assert.match(wrong.message, /orgId/);
    }
  });
});

describe('the refresh-token grant with MFA turned on', () => {
  const clock = new TestClock(Date.now());
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ clock, config: { issuer: ISSUER, failedAuthPerMinute: 10_000 } });
  });
  after(() => server.close());

  it('issue 9.5: requires the passcode as the api-token grant does, and accepts it as a form field', async () => {
    const enrolled = await enrol(server, clock);
    const without = expectCspErrorAnswer(await sendAs(server, goOauth2Params(`grant_type=refresh_token&refresh_token=${enrolled.apiToken}`)), 401);
    assert.equal(without.errorCode, 'mfa_required');
    const body = `grant_type=refresh_token&refresh_token=${enrolled.apiToken}&passcode=${codeFor(enrolled.secret, clock)}`;
    const dto = expectAccessTokenAnswer(await sendAs(server, goOauth2Params(body)));
    assert.deepEqual(decodeJwt(dto.access_token).amr, ['otp']);
  });
});
