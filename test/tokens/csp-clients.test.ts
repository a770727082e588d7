// Issue 9 items 1–4: the API-token exchange as real CSP clients send it (Go, Python, Java, shell),
// byte for byte over a socket, each answer read by a strict parser into CSP's AccessTokenDto.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { revokeApiTokens } from '../../src/tokens/api-tokens.js';
import { codeFor, enrol } from '../mfa/support.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { expectAccessTokenAnswer, expectCspErrorAnswer, parsePublicKeyDto } from './csp-dtos.js';
import { type ClientShape, lengthOf, sendAs } from './raw-request.js';

const EXCHANGE = '/csp/gateway/am/api/auth/api-tokens/authorize';
const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const ISSUER = 'https://id.example.test/csp/gateway/am/api';
const FORM = 'application/x-www-form-urlencoded';

/** Go's net/http: http.Post(url+"?refresh_token="+t, "application/json", nil). */
const goQueryJson = (token: string): ClientShape => ({
  method: 'POST',
  target: `${EXCHANGE}?refresh_token=${token}`,
  headers: [
    ['User-Agent', 'Go-http-client/1.1'],
    ['Content-Length', '0'],
    ['Content-Type', 'application/json'],
    ['Accept-Encoding', 'gzip'],
  ],
});
/** Python requests: requests.post(url, params={"refresh_token": t}, headers={"Content-Type": "application/json"}). */
const pythonQueryJson = (token: string): ClientShape => ({
  method: 'POST',
  target: `${EXCHANGE}?refresh_token=${token}`,
  headers: [
    ['User-Agent', 'python-requests/2.31.0'],
    ['Accept-Encoding', 'gzip, deflate'],
    ['Accept', '*/*'],
    ['Connection', 'keep-alive'],
    ['Content-Type', 'application/json'],
    ['Content-Length', '0'],
  ],
});
/** curl -X POST "$URL?refresh_token=$T" -H 'Content-Type: text/plain' (no body, so no Content-Length). */
const curlQueryText = (token: string): ClientShape => ({
  method: 'POST',
  target: `${EXCHANGE}?refresh_token=${token}`,
  headers: [
    ['User-Agent', 'curl/7.88.1'],
    ['Accept', '*/*'],
    ['Content-Type', 'text/plain'],
  ],
});
/** Python requests: requests.post(url, json={"refresh_token": t}). */
const pythonJsonBody = (fields: Record<string, string>): ClientShape => {
  const body = JSON.stringify(fields);
  return {
    method: 'POST',
    target: EXCHANGE,
    headers: [
      ['User-Agent', 'python-requests/2.31.0'],
      ['Accept-Encoding', 'gzip, deflate'],
      ['Accept', '*/*'],
      ['Connection', 'keep-alive'],
      lengthOf(body),
      ['Content-Type', 'application/json'],
    ],
    body,
  };
};
/** A shell script: curl -X POST "$URL?api_token=$T" with no body and no content type. */
const curlQueryApiToken = (token: string): ClientShape => ({
  method: 'POST',
  target: `${EXCHANGE}?api_token=${token}`,
  headers: [
    ['User-Agent', 'curl/7.88.1'],
    ['Accept', '*/*'],
  ],
});
/** Java (Apache HttpClient, the Wavefront proxy's CSP client): a form with grant_type and api_token. */
const javaForm = (body: string): ClientShape => ({
  method: 'POST',
  target: EXCHANGE,
  headers: [
    ['Content-Type', `${FORM}; charset=UTF-8`],
    lengthOf(body),
    ['Connection', 'Keep-Alive'],
    ['User-Agent', 'Apache-HttpClient/4.5.14 (Java/17.0.9)'],
    ['Accept-Encoding', 'gzip,deflate'],
  ],
  body,
});
/** curl -d "api_token=$T" (the README's own example). */
const curlForm = (body: string): ClientShape => ({
  method: 'POST',
  target: EXCHANGE,
  headers: [['User-Agent', 'curl/7.88.1'], ['Accept', '*/*'], lengthOf(body), ['Content-Type', FORM]],
  body,
});
/** Any body under any content type, the rest as curl sends it. */
const curlBody = (contentType: string, body: string, target = EXCHANGE): ClientShape => ({
  method: 'POST',
  target,
  headers: [['User-Agent', 'curl/7.88.1'], ['Accept', '*/*'], ['Content-Type', contentType], lengthOf(body)],
  body,
});

describe('CSP clients at the API-token exchange', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { issuer: ISSUER, failedAuthPerMinute: 10_000 } });
  });
  after(() => server.close());

  /** The access token works on the MFA API: the exchange really signed the principal in. */
  async function expectUsable(accessToken: string, username: string): Promise<void> {
    const res = await server.call(STATUS, { token: accessToken });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { username: string }).username, username);
  }

  it('issue 9.1: accepts ?refresh_token= with Content-Type application/json and an empty body (Go and Python clients)', async () => {
    const { user, apiToken } = await server.createUser();
    for (const shape of [goQueryJson(apiToken), pythonQueryJson(apiToken)]) {
      const dto = expectAccessTokenAnswer(await sendAs(server, shape));
      await expectUsable(dto.access_token, user.username);
    }
  });

  it('issue 9.1: accepts ?refresh_token= with Content-Type text/plain and no body at all (curl)', async () => {
    const { user, apiToken } = await server.createUser();
    await expectUsable(expectAccessTokenAnswer(await sendAs(server, curlQueryText(apiToken))).access_token, user.username);
  });

  it('issue 9.1: accepts a JSON object body with the form fields (refresh_token, api_token, scope)', async () => {
    const { user, apiToken } = await server.createUser();
    await expectUsable(expectAccessTokenAnswer(await sendAs(server, pythonJsonBody({ refresh_token: apiToken }))).access_token, user.username);
    await expectUsable(expectAccessTokenAnswer(await sendAs(server, pythonJsonBody({ api_token: apiToken, scope: 'openid' }))).access_token, user.username);
    const charset = curlBody('application/json; charset=utf-8', JSON.stringify({ api_token: apiToken }));
    expectAccessTokenAnswer(await sendAs(server, charset));
  });

  it('issue 9.1: still refuses a non-empty body that is neither strict form encoding nor a JSON object of strings', async () => {
    const { apiToken } = await server.createUser();
    const cases: [string, ClientShape][] = [
      ['form fields under text/plain', curlBody('text/plain', `api_token=${apiToken}`)],
      ['a JSON array', curlBody('application/json', JSON.stringify([apiToken]))],
      ['a JSON string', curlBody('application/json', JSON.stringify(apiToken))],
      ['JSON null', curlBody('application/json', 'null')],
      ['broken JSON', curlBody('application/json', `{"api_token":"${apiToken}"`)],
      ['a number passcode (leading zeros would be lost)', curlBody('application/json', JSON.stringify({ api_token: apiToken, passcode: 12345 }))],
      ['a token that is not a string', curlBody('application/json', JSON.stringify({ api_token: [apiToken] }))],
      ['form encoding under application/json', curlBody('application/json', `api_token=${apiToken}`)],
      ['multipart', curlBody('multipart/form-data; boundary=b', `--b\r\ncontent-disposition: form-data; name="api_token"\r\n\r\n${apiToken}\r\n--b--`)],
      ['broken percent-encoding', curlBody(FORM, `api_token=${apiToken}%zz`)],
      ['a repeated form field', curlBody(FORM, `api_token=${apiToken}&api_token=${apiToken}`)],
      ['no token anywhere', curlBody(FORM, 'passcode=123456')],
      ['an empty JSON object', curlBody('application/json', '{}')],
      ['the token only under __proto__', curlBody('application/json', `{"__proto__":{"api_token":"${apiToken}"}}`)],
    ];
    for (const [name, shape] of cases) {
      const answer = await sendAs(server, shape);
      assert.equal(expectCspErrorAnswer(answer, 400).errorCode, 'invalid_request', name);
      assert.ok(!answer.body.includes(apiToken), `${name}: the error repeats the token`);
    }
  });

  it('issue 9.2: accepts ?api_token= with an empty body and no content type', async () => {
    const { user, apiToken } = await server.createUser();
    await expectUsable(expectAccessTokenAnswer(await sendAs(server, curlQueryApiToken(apiToken))).access_token, user.username);
  });

  it('issue 9.2: accepts the same token sent in several places, and refuses two different ones with 400 invalid_request', async () => {
    const a = await server.createUser();
    const b = await server.createUser();
    const same: ClientShape = {
      ...curlForm(`api_token=${a.apiToken}&refresh_token=${a.apiToken}`),
      target: `${EXCHANGE}?api_token=${a.apiToken}&refresh_token=${a.apiToken}`,
    };
    expectAccessTokenAnswer(await sendAs(server, same));
    const conflicts: [string, ClientShape][] = [
      ['body api_token vs body refresh_token', curlForm(`api_token=${a.apiToken}&refresh_token=${b.apiToken}`)],
      ['body api_token vs query refresh_token', { ...curlForm(`api_token=${a.apiToken}`), target: `${EXCHANGE}?refresh_token=${b.apiToken}` }],
      ['query api_token vs query refresh_token', curlQueryApiToken(`${a.apiToken}&refresh_token=${b.apiToken}`)],
      ['JSON refresh_token vs query api_token', { ...pythonJsonBody({ refresh_token: a.apiToken }), target: `${EXCHANGE}?api_token=${b.apiToken}` }],
    ];
    for (const [name, shape] of conflicts) assert.equal(expectCspErrorAnswer(await sendAs(server, shape), 400).errorCode, 'invalid_request', name);
  });

  it('issue 9.3: answers exactly CSP AccessTokenDto fields, with the API token as refresh_token, which the client can re-send', async () => {
    const { user, apiToken } = await server.createUser();
    const dto = expectAccessTokenAnswer(await sendAs(server, javaForm(`grant_type=api_token&api_token=${apiToken}`)));
    assert.deepEqual(Object.keys(dto).sort(), ['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
    assert.equal(dto.token_type, 'bearer');
    assert.equal(dto.expires_in, 1799);
    assert.equal(dto.scope, 'csp:org_member');
    assert.equal(dto.refresh_token, apiToken);
    // What CSP clients do next: keep refresh_token and send it back, in the query or in the form.
    const again = expectAccessTokenAnswer(await sendAs(server, goQueryJson(dto.refresh_token as string)));
    await expectUsable(again.access_token, user.username);
    expectAccessTokenAnswer(await sendAs(server, curlForm(`refresh_token=${encodeURIComponent(again.refresh_token as string)}`)));
  });

  it('issue 9.3: sends an OIDC id_token for the user, signed by a published key, with the documented claims', async () => {
    const { user, apiToken } = await server.createUser('id-token-user', { orgId: 'org-7' });
    const dto = expectAccessTokenAnswer(await sendAs(server, curlForm(`api_token=${apiToken}`)));
    const keys = parsePublicKeyDto(await (await fetch(`${server.baseUrl}/csp/gateway/am/api/auth/token-public-key?format=jwks`)).text());
    const { payload, protectedHeader } = await jwtVerify(dto.id_token as string, createLocalJWKSet({ keys: keys.keys as never }), {
      issuer: ISSUER,
      algorithms: ['RS256'],
    });
    assert.equal(protectedHeader.alg, 'RS256');
    const access = decodeJwt(dto.access_token);
    assert.equal(payload.sub, `local:${user.id}`);
    assert.equal(payload.sub, access.sub);
    assert.equal(payload.aud, access.azp);
    assert.equal(payload.azp, access.azp);
    assert.equal(payload.iat, access.iat);
    assert.equal(payload.exp, access.exp);
    assert.equal(payload.auth_time, access.iat, 'without MFA the API token presentation is the authentication');
    assert.equal(payload.username, 'id-token-user');
    assert.equal(payload.acct, 'id-token-user');
    assert.equal('amr' in payload, false, 'no MFA method was used');
    assert.equal('perms' in payload, false, 'an ID token grants nothing');
  });

  it('issue 9.3: an id_token is refused as a csp-auth-token (no token confusion)', async () => {
    const { apiToken } = await server.createUser();
    const dto = expectAccessTokenAnswer(await sendAs(server, curlForm(`api_token=${apiToken}`)));
    assert.equal(decodeProtectedHeader(dto.id_token as string).kid, decodeProtectedHeader(dto.access_token).kid);
    const res = await server.call(STATUS, { token: dto.id_token });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { errorCode: string }).errorCode, 'invalid_token');
  });

  it("issue 9.4: an unknown or revoked API token is 400 invalid_grant with a message starting as CSP's", async () => {
    const revoked = await server.createUser();
    await revokeApiTokens(server.services.store, server.services.clock, revoked.user.id);
    for (const token of ['pmfa_at_' + 'x'.repeat(43), revoked.apiToken]) {
      for (const shape of [curlForm(`api_token=${token}`), goQueryJson(token)]) {
        const answer = await sendAs(server, shape);
        const error = expectCspErrorAnswer(answer, 400);
        assert.equal(error.errorCode, 'invalid_grant');
        assert.match(error.message, /^invalid_grant: Invalid refresh token/);
        assert.ok(!answer.body.includes(token), 'the error repeats the token');
      }
    }
  });
});

describe('CSP clients at the API-token exchange with MFA turned on', () => {
  const clock = new TestClock(Date.now());
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ clock, config: { issuer: ISSUER, failedAuthPerMinute: 10_000 } });
  });
  after(() => server.close());

  it('issue 9.1: takes the passcode from a JSON body, and the id_token names the MFA method and time', async () => {
    const enrolled = await enrol(server, clock);
    const missing = await sendAs(server, { ...goQueryJson(enrolled.apiToken) });
    assert.equal(expectCspErrorAnswer(missing, 401).errorCode, 'mfa_required');
    const dto = expectAccessTokenAnswer(await sendAs(server, pythonJsonBody({ api_token: enrolled.apiToken, passcode: codeFor(enrolled.secret, clock) })));
    const idToken = decodeJwt(dto.id_token as string);
    assert.deepEqual(idToken.amr, ['otp']);
    assert.deepEqual(idToken.amr, decodeJwt(dto.access_token).amr);
    assert.equal(idToken.auth_time, decodeJwt(dto.access_token).auth_time);
    assert.equal(dto.refresh_token, enrolled.apiToken);
  });

  it('issue 9.1: takes the passcode from a form body with the token in the query', async () => {
    const enrolled = await enrol(server, clock);
    const body = `passcode=${codeFor(enrolled.secret, clock)}`;
    const dto = expectAccessTokenAnswer(await sendAs(server, { ...curlForm(body), target: `${EXCHANGE}?refresh_token=${enrolled.apiToken}` }));
    assert.deepEqual(decodeJwt(dto.access_token).amr, ['otp']);
  });
});
