// GET /csp/gateway/iam/vmwid/api/principal/mfa/status through a real socket: the seed operation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectCspError, startTestServer, type TestServer } from '../support/server.js';

const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';

describe('GET principal MFA status', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('answers 200 UserMfaStatusDto for a user with no device', async () => {
    const { accessToken, user } = await server.accessTokenFor();
    const res = await server.call(STATUS, { token: accessToken });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), { activated: false, turnedOn: false, username: user.username });
  });

  it('answers 401 without a token, as a CspErrorResponse whose requestId matches x-request-id', async () => {
    const res = await server.call(STATUS);
    assert.equal(res.status, 401);
    const body = expectCspError(await res.json(), 401, res.headers.get('x-request-id'));
    assert.equal(body.errorCode, 'unauthenticated');
  });
});
