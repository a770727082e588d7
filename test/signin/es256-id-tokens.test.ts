// Issue 11 (ES256 ID tokens per client) over real HTTP: an application registered with
// `clients create --id-token-alg ES256` gets ES256 ID tokens (the EC key's kid) from the authorization_code
// and refresh_token grants, which openid-client verifies against discovery's jwks_uri; its access token stays
// RS256. An application registered without the flag keeps RS256. A password sign-in, no browser needed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import { CSP_AM_API, END_SESSION_PATH, SIGNIN_PASSWORD_PATH, SIGNIN_PATH } from '../../src/paths.js';
import { runCliInProcess } from '../support/cli.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { csrfOf, HttpAgent } from './http-agent.js';
import { freePort } from './support.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const AFTER_LOGOUT = 'http://127.0.0.1:9/signed-out';

describe('ID tokens signed as the client registered (RS256 or ES256)', () => {
  let server: TestServer;
  let issuer: string;
  const clock = new TestClock();

  before(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}${CSP_AM_API}`;
    server = await startTestServer({ port, clock, config: { issuer } });
  });
  after(async () => server?.close());

  /** Registered by the admin CLI, as an operator would; then configured in openid-client as a relying party would. */
  async function relyingParty(alg: 'RS256' | 'ES256' | undefined): Promise<client.Configuration> {
    const flag = alg === undefined ? [] : ['--id-token-alg', alg];
    const args = ['clients', 'create', '--name', `App ${alg}`, '--redirect-uri', REDIRECT_URI, '--post-logout-redirect-uri', AFTER_LOGOUT];
    const created = await runCliInProcess([...args, ...flag, '--database', server.testStore.url, '--json']);
    assert.equal(created.code, 0, created.stderr);
    const { clientId, clientSecret } = JSON.parse(created.stdout) as { clientId: string; clientSecret: string };
    const metadata: Partial<client.ClientMetadata> = { [client.clockTolerance]: 3600 };
    if (alg !== undefined) metadata.id_token_signed_response_alg = alg;
    const config = await client.discovery(new URL(issuer), clientId, metadata, client.ClientSecretBasic(clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    // The library then checks every ID token's signature against jwks_uri, not only its claims.
    client.enableNonRepudiationChecks(config);
    return config;
  }

  /** Authorization with PKCE, the password page over HTTP, and the code exchange by the library. */
  async function signIn(config: client.Configuration, agent: HttpAgent, username: string, password: string) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    assert.equal((await agent.get(url.href)).status, 303);
    const csrf = csrfOf((await agent.get(SIGNIN_PATH)).html);
    const back = await agent.post(SIGNIN_PASSWORD_PATH, { csrf, username, password });
    assert.equal(back.status, 303, back.html);
    return client.authorizationCodeGrant(config, new URL(back.location as string), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
  }

  it('an ES256 client: ES256 ID tokens from the code and the refresh grants, verified by openid-client; the access token stays RS256', async () => {
    const config = await relyingParty('ES256');
    assert.deepEqual(config.serverMetadata().id_token_signing_alg_values_supported, ['RS256', 'ES256']);
    const { user, password } = await server.createUser();
    const agent = new HttpAgent(server.baseUrl);
    const tokens = await signIn(config, agent, user.username, password);
    const ecKid = (await server.services.keys.signingKey('ES256')).kid;
    const rsaKid = (await server.services.keys.signingKey()).kid;
    assert.deepEqual(decodeProtectedHeader(tokens.id_token as string), { alg: 'ES256', typ: 'JWT', kid: ecKid });
    assert.equal(tokens.claims()?.sub, `${user.domain}:${user.id}`);
    assert.deepEqual(decodeProtectedHeader(tokens.access_token), { alg: 'RS256', typ: 'JWT', kid: rsaKid });
    assert.equal((await server.call('/csp/gateway/iam/vmwid/api/principal/mfa/status', { token: tokens.access_token })).status, 200);

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    assert.equal(decodeProtectedHeader(refreshed.id_token as string).alg, 'ES256');
    assert.equal(refreshed.claims()?.sub, tokens.claims()?.sub);
    assert.equal(decodeProtectedHeader(refreshed.access_token).alg, 'RS256');

    // The ES256 ID token is a good id_token_hint: logout goes straight back to the application.
    const logout = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: AFTER_LOGOUT, state: 'bye' });
    const answer = await agent.get(`${END_SESSION_PATH}${logout.search}`);
    assert.equal(answer.status, 303, answer.html);
    assert.equal(answer.location, `${AFTER_LOGOUT}?state=bye`);
  });

  it('a client registered without the flag (and one with --id-token-alg RS256) keeps RS256 ID tokens, verified by openid-client', async () => {
    for (const alg of [undefined, 'RS256'] as const) {
      const config = await relyingParty(alg);
      const { user, password } = await server.createUser();
      const tokens = await signIn(config, new HttpAgent(server.baseUrl), user.username, password);
      const rsaKid = (await server.services.keys.signingKey()).kid;
      assert.deepEqual(decodeProtectedHeader(tokens.id_token as string), { alg: 'RS256', typ: 'JWT', kid: rsaKid });
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
      assert.equal(decodeProtectedHeader(refreshed.id_token as string).alg, 'RS256');
    }
  });

  it('clients create refuses an --id-token-alg it does not sign with, and the flag without --redirect-uri', async () => {
    const db = ['--database', server.testStore.url];
    const none = await runCliInProcess(['clients', 'create', '--name', 'X', '--redirect-uri', REDIRECT_URI, '--id-token-alg', 'none', ...db]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--id-token-alg must be RS256 or ES256/);
    const alone = await runCliInProcess(['clients', 'create', '--name', 'X', '--id-token-alg', 'ES256', ...db]);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /need at least one --redirect-uri/);
  });
});
