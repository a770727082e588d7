// GET /csp/gateway/am/api/loggedin/user, CSP's "who am I": the profile in CSP's BaseUserDto shape, read by
// a strict parser (unknown fields refused, as Jackson's default does), with the MFA API's token rules.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { nowSeconds } from '../../src/clock.js';
import { deleteUser, setUserEnabled } from '../../src/principals/users.js';
import { expectError } from '../http/error-contract.js';
import { startTestServer, TestClock, type TestServer, serviceAccountToken } from '../support/server.js';

const LOGGED_IN_USER = '/csp/gateway/am/api/loggedin/user';
/** CSP's BaseUserDto fields this service may send; anything else is a strict client's parse failure. */
const BASE_USER_FIELDS = new Set(['username', 'domain', 'idpId', 'userId', 'acct', 'email', 'firstName', 'lastName']);

/** Parses like a generated Java or Go client with unknown properties refused: every field known and a string. */
function parseBaseUserDto(text: string): Record<string, string> {
  const value: unknown = JSON.parse(text);
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), 'not a JSON object');
  for (const [key, field] of Object.entries(value)) {
    assert.ok(BASE_USER_FIELDS.has(key), `unknown field ${key}`);
    assert.equal(typeof field, 'string', key);
  }
  return value as Record<string, string>;
}

describe('GET /csp/gateway/am/api/loggedin/user', () => {
  let server: TestServer;
  const clock = new TestClock();
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  const profileOf = async (headers: Record<string, string>) => {
    const res = await server.call(LOGGED_IN_USER, { headers });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return parseBaseUserDto(await res.text());
  };

  it("finding 9.10: answers a local user's profile in CSP's shape, with csp-auth-token or Authorization: Bearer", async () => {
    const { accessToken, user } = await server.accessTokenFor('loggedin-alice');
    const expected = { username: 'loggedin-alice', domain: 'local', userId: user.id, acct: 'loggedin-alice@local' };
    assert.deepEqual(await profileOf({ 'csp-auth-token': accessToken }), expected);
    assert.deepEqual(await profileOf({ authorization: `Bearer ${accessToken}` }), expected);
  });

  it('finding 9.10: a username that is an address is its own acct', async () => {
    const { accessToken, user } = await server.accessTokenFor('bob@example.com');
    assert.deepEqual(await profileOf({ 'csp-auth-token': accessToken }), {
      username: 'bob@example.com',
      domain: 'local',
      userId: user.id,
      acct: 'bob@example.com',
    });
  });

  it('finding 9.10: 401 without a valid token, 403 for an application and a disabled user, 404 once the user is deleted', async () => {
    assert.equal(await expectError(await server.call(LOGGED_IN_USER), 401), 'unauthenticated');
    assert.equal(await expectError(await server.call(LOGGED_IN_USER, { token: 'not-a-jwt' }), 401), 'invalid_token');

    const appToken = await serviceAccountToken(server);
    assert.equal(await expectError(await server.call(LOGGED_IN_USER, { token: appToken }), 403, [appToken]), 'service_account_forbidden');

    const { accessToken, user } = await server.accessTokenFor();
    await setUserEnabled(server.services.store, user.id, false);
    assert.equal(await expectError(await server.call(LOGGED_IN_USER, { token: accessToken }), 403, [accessToken]), 'user_disabled');
    await deleteUser(server.services.store, user.id);
    assert.equal(await expectError(await server.call(LOGGED_IN_USER, { token: accessToken }), 404, [accessToken]), 'principal_not_found');
  });

  it('finding 9.10: is documented in the OpenAPI document with the BaseUserDto fields and both token schemes', async () => {
    const doc = (await (await fetch(`${server.baseUrl}/csp/gateway/iam/vmwid/api/v2/api-docs`)).json()) as any;
    const op = doc.paths[LOGGED_IN_USER]?.get;
    assert.ok(op, 'GET loggedin/user is not documented');
    assert.deepEqual(op.security, [{ cspAuthToken: [] }, { bearerAuth: [] }]);
    const schema = op.responses['200'].content['application/json'].schema;
    assert.deepEqual(new Set(Object.keys(schema.properties)), BASE_USER_FIELDS);
    assert.equal(schema.additionalProperties, false);
  });
});

describe('GET /csp/gateway/am/api/loggedin/user for a user of a trusted outside issuer', () => {
  const AUDIENCE = 'https://principal-mfa.example/api';
  const ISSUER = 'https://idp.example/realms/staff';
  const clock = new TestClock();
  let jwks: Server;
  let server: TestServer;
  let privateKey: CryptoKey;

  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks`;
    server = await startTestServer({ clock, config: { trustedIssuers: [{ issuer: ISSUER, jwksUri, audiences: [AUDIENCE], authorizedParties: [] }] } });
  });
  after(async () => {
    await server.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const mint = (claims: Record<string, unknown>) => {
    const iat = nowSeconds(clock);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-key', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('f3b9c1d2')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 600)
      .sign(privateKey);
  };

  it("finding 9.10: adds what the identity provider's verified token says (idpId, acct, email, names), nothing else", async () => {
    const token = await mint({
      preferred_username: 'carol',
      email: 'carol@example.com',
      given_name: 'Carol',
      family_name: 'Danvers',
      acct: 'carol@example.com',
      groups: ['admins'],
      phone_number: '+1 555',
    });
    const res = await server.call(LOGGED_IN_USER, { token });
    assert.equal(res.status, 200);
    const profile = parseBaseUserDto(await res.text());
    const { userId, domain, ...rest } = profile;
    assert.ok(userId && domain && domain !== 'local', JSON.stringify(profile));
    assert.deepEqual(rest, {
      username: 'carol',
      idpId: ISSUER,
      acct: 'carol@example.com',
      email: 'carol@example.com',
      firstName: 'Carol',
      lastName: 'Danvers',
    });
  });
});
