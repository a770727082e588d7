// The access token in `Authorization: Bearer` (CSP's published security scheme) beside the seed's
// csp-auth-token header: either works on every principal API route; two different tokens never do.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { codeFor, MFA, PERIOD_MS, stepAlignedMs } from '../mfa/support.js';
import { startTestServer, TestClock, type TestServer, serviceAccountToken } from '../support/server.js';
import { expectError } from './error-contract.js';
import { rawGet } from './raw-http.js';

const STATUS = `${MFA}/status`;

describe('the access token in Authorization: Bearer', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    // Many refused requests from one address on purpose: keep the failed-auth limit out of the way.
    server = await startTestServer({ clock, config: { failedAuthPerMinute: 10_000 } });
  });
  after(() => server.close());

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  /** A call with the token only in Authorization; the JSON body (if any) parsed. */
  const callBearer = async (path: string, token: string, method = 'GET', body?: unknown) => {
    const res = await server.call(path, { method, body, headers: bearer(token) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  it('finding 9.8: every principal MFA route accepts the token only in Authorization: Bearer', async () => {
    const { accessToken, password, user } = await server.accessTokenFor();
    assert.deepEqual(await callBearer(STATUS, accessToken), { status: 200, body: { activated: false, turnedOn: false, username: user.username } });
    const registered = await callBearer(`${MFA}/device`, accessToken, 'POST', { deviceName: 'phone' });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const secret = registered.body.secret as string;
    const activated = await callBearer(`${MFA}/device/activate`, accessToken, 'POST', { passcode: codeFor(secret, clock) });
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    assert.equal((await callBearer(`${MFA}/device`, accessToken, 'PATCH', { deviceName: 'work phone' })).body.deviceName, 'work phone');
    assert.deepEqual(await callBearer(MFA, accessToken, 'PATCH', { password, turnedOn: true }), { status: 200, body: { turnedOn: true } });
    const audit = await callBearer(`${MFA}/audit`, accessToken, 'POST', { startDate: 0, endDate: clock.now() + 1 });
    assert.equal(audit.status, 200, JSON.stringify(audit.body));
    assert.ok(audit.body.results.some((row: { action: string }) => row.action === 'MFA_ACTIVATION'));
    clock.advance(PERIOD_MS);
    const codes = await callBearer(`${MFA}/recovery-codes`, accessToken, 'POST', { passcode: codeFor(secret, clock) });
    assert.equal(codes.status, 200, JSON.stringify(codes.body));
    clock.advance(PERIOD_MS);
    assert.equal((await callBearer(`${MFA}/device`, accessToken, 'DELETE', { passcode: codeFor(secret, clock) })).status, 204);
  });

  it('finding 9.8: takes the scheme name in any case and the same token in both headers', async () => {
    const { accessToken } = await server.accessTokenFor();
    for (const authorization of [`bearer ${accessToken}`, `BEARER ${accessToken}`, `Bearer  ${accessToken}`]) {
      assert.equal((await server.call(STATUS, { headers: { authorization } })).status, 200, authorization.slice(0, 8));
    }
    assert.equal((await server.call(STATUS, { token: accessToken, headers: bearer(accessToken) })).status, 200);
  });

  it('finding 9.8: two different tokens in csp-auth-token and Authorization are a 401 invalid_token, whichever one is valid', async () => {
    const first = await server.accessTokenFor();
    const second = await server.accessTokenFor();
    const pairs: [string, string][] = [
      [first.accessToken, second.accessToken],
      [first.accessToken, 'not-a-jwt'],
      ['not-a-jwt', first.accessToken],
      ['', first.accessToken],
    ];
    for (const [csp, auth] of pairs) {
      const res = await server.call(STATUS, { token: csp, headers: bearer(auth) });
      assert.equal(await expectError(res, 401, [first.accessToken, second.accessToken]), 'invalid_token', `${csp.slice(0, 6)} / ${auth.slice(0, 6)}`);
    }
  });

  it('finding 9.8: refuses another scheme, a malformed Bearer value and two Authorization headers, also beside a valid csp-auth-token', async () => {
    const { accessToken } = await server.accessTokenFor();
    const basic = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
    const malformed = [
      basic,
      'Bearer',
      'Bearer ',
      `Bearer ${accessToken} extra`,
      `Bearer${accessToken}`,
      `Bearer "${accessToken}"`,
      `Token ${accessToken}`,
      `Bearer ${accessToken},`,
    ];
    for (const authorization of malformed) {
      for (const token of [undefined, accessToken]) {
        const res = await server.call(STATUS, { token, headers: { authorization } });
        assert.equal(res.status, 401, `${authorization.slice(0, 10)} with csp-auth-token ${token !== undefined}`);
        assert.equal(await expectError(res, 401, [accessToken]), 'invalid_token');
      }
    }
    // Node keeps only the first of two Authorization lines in request.headers; the server must see both.
    for (const lines of [
      [
        ['Authorization', `Bearer ${accessToken}`],
        ['Authorization', `Bearer ${accessToken}`],
      ],
      [
        ['Authorization', `Bearer ${accessToken}`],
        ['Authorization', basic],
      ],
      [
        ['csp-auth-token', accessToken],
        ['Authorization', `Bearer ${accessToken}`],
        ['authorization', `Bearer ${accessToken}`],
      ],
    ] as [string, string][][]) {
      const raw = await rawGet(server.baseUrl, STATUS, lines);
      assert.equal(raw.status, 401, raw.body);
      assert.equal(JSON.parse(raw.body).errorCode, 'invalid_token');
      assert.ok(!raw.body.includes(accessToken.split('.')[1] as string));
    }
  });

  it('finding 9.8: a Bearer token goes through every check a csp-auth-token does (expired, service account)', async () => {
    const { accessToken } = await server.accessTokenFor();
    const start = clock.ms;
    try {
      clock.advance((server.services.config.accessTokenTtlSeconds + 31) * 1000);
      assert.equal(await expectError(await server.call(STATUS, { headers: bearer(accessToken) }), 401, [accessToken]), 'token_expired');
    } finally {
      clock.ms = start;
    }
    const appToken = await serviceAccountToken(server);
    assert.equal(await expectError(await server.call(STATUS, { headers: bearer(appToken) }), 403, [appToken]), 'service_account_forbidden');
  });
});
