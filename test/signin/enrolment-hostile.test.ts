// Enrolment inside the sign-in (issue 11 item 4) over real HTTP: who may reach it (only a sign-in past its
// password step, for a principal with no authenticator that must have one), CSRF, replayed and wrong
// passcodes, and the whole flow down to the tokens. The Chromium run is enrolment-flow.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DAY_MS } from '../../src/orgs/policy.js';
import { setOrgPolicy } from '../../src/orgs/policy-store.js';
import { ACR_MFA } from '../../src/signin/assurance.js';
import { registerApplication } from '../../src/signin/applications.js';
import {
  AUTH_BASE,
  CSP_AM_API,
  SIGNIN_ENROL_CONTINUE_PATH,
  SIGNIN_ENROL_PATH,
  SIGNIN_PASSWORD_PATH,
  SIGNIN_PATH,
  SIGNIN_SECOND_FACTOR_PATH,
} from '../../src/paths.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { codeFor, enrol, MFA, PERIOD_MS, postJson, stepAlignedMs, wrongCodeFor } from '../mfa/support.js';
import { authorize, csrfOf, enrolmentKeyOf, HttpAgent, jwtPayload, type AuthorizationStart } from './http-agent.js';
import { freePort } from './support.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';

describe('enrolment inside the sign-in, over HTTP', () => {
  let server: TestServer;
  let clock: TestClock;
  let clientId: string;
  let clientSecret: string;

  before(async () => {
    const port = await freePort();
    clock = new TestClock(stepAlignedMs());
    server = await startTestServer({ port, clock, config: { issuer: `http://127.0.0.1:${port}${CSP_AM_API}`, lockoutThreshold: 3 } });
    ({ clientId, clientSecret } = (await registerApplication(server.services.store, clock, {
      name: 'Enrolment App',
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [],
      isPublic: false,
    })) as { clientId: string; clientSecret: string });
  });
  after(async () => server?.close());

  const deviceOf = (userId: string) => server.services.store.devices.findByUser(userId);

  /** A new browser at the password page of a fresh sign-in, with the page's CSRF token. */
  async function atPasswordPage(extra: Record<string, string> = {}): Promise<{ agent: HttpAgent; started: AuthorizationStart; csrf: string }> {
    const agent = new HttpAgent(server.baseUrl);
    const started = await authorize(agent, clientId, REDIRECT_URI, extra);
    const page = await agent.get(SIGNIN_PATH);
    assert.equal(page.status, 200);
    return { agent, started, csrf: csrfOf(page.html) };
  }

  /** Password step of a principal without any device under acr_values=MFA: lands on the enrolment page (its key and CSRF token). */
  async function atEnrolmentPage(username: string, password: string) {
    const { agent, started, csrf } = await atPasswordPage({ acr_values: ACR_MFA });
    const afterPassword = await agent.post(SIGNIN_PASSWORD_PATH, { csrf, username, password });
    assert.equal(afterPassword.status, 303, afterPassword.html);
    assert.equal(afterPassword.location, SIGNIN_ENROL_PATH);
    const page = await agent.get(SIGNIN_ENROL_PATH);
    assert.equal(page.status, 200, page.html);
    return { agent, started, csrf, key: enrolmentKeyOf(page.html), page };
  }

  async function exchange(code: string, started: AuthorizationStart) {
    const response = await fetch(`${server.baseUrl}${AUTH_BASE}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: started.verifier }),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as { id_token: string; access_token: string };
  }

  it('acr_values forcing MFA, no device: enrol with a passcode, see the recovery codes once, continue, and get acr mfa with amr otp', async () => {
    const { user, password, apiToken } = await server.createUser();
    const since = clock.now();
    const { agent, started, csrf, key, page } = await atEnrolmentPage(user.username, password);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /img-src 'self' data:;/);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.doesNotMatch(policy, /script-src/);
    assert.match(page.html, /<img class="qr-code" src="data:image\/svg\+xml;base64,/);
    assert.equal((await deviceOf(user.id))?.activatedAt, null, 'a pending device, as registering on /mfa makes');
    // A reload shows the same key: it is this sign-in's device.
    assert.equal(enrolmentKeyOf((await agent.get(SIGNIN_ENROL_PATH)).html), key);

    const activated = await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode: codeFor(key, clock) });
    assert.equal(activated.status, 200, activated.html);
    const codes = [...activated.html.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map((match) => match[1] as string);
    assert.equal(codes.length, 10, 'ten recovery codes');
    const device = await deviceOf(user.id);
    assert.ok(device?.activatedAt && device.turnedOn, 'the device is activated and MFA on');
    // Shown once: the page again says so and shows none.
    const again = await agent.get(SIGNIN_ENROL_PATH);
    assert.equal([...again.html.matchAll(/<li><code>/g)].length, 0);
    assert.match(again.html, /not shown again/);

    const back = await agent.post(SIGNIN_ENROL_CONTINUE_PATH, { csrf });
    assert.equal(back.status, 303);
    const callback = new URL(back.location as string);
    assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI);
    assert.equal(callback.searchParams.get('state'), started.state);
    const tokens = await exchange(callback.searchParams.get('code') as string, started);
    const idToken = jwtPayload(tokens.id_token);
    assert.equal(idToken.acr, ACR_MFA);
    assert.deepEqual(idToken.amr, ['pwd', 'otp', 'mfa']);
    assert.deepEqual(jwtPayload(tokens.access_token).amr, ['pwd', 'otp', 'mfa']);

    // The device is the one /mfa would have made: the API-token exchange now asks for it, and a recovery code works.
    assert.equal((await server.exchange(apiToken)).status, 401);
    assert.equal((await server.exchange(apiToken, codes[0])).status, 200);
    const { body } = await server.exchange(apiToken, codes[1]);
    const audit = await postJson(server, `${MFA}/audit`, body.access_token, { startDate: since, endDate: clock.now() + 1 });
    const actions = audit.body.results.map((event: { action: string }) => event.action);
    for (const action of ['MFA_ACTIVATION', 'MFA_RECOVERY_CODES_GENERATION']) assert.ok(actions.includes(action), `${action} in ${actions}`);
  });

  it('a sign-in that has not passed the password step gets nothing: no page, no device, no activation, no code', async () => {
    const { agent, csrf } = await atPasswordPage({ acr_values: ACR_MFA });
    const page = await agent.get(SIGNIN_ENROL_PATH);
    assert.equal(page.status, 400);
    assert.doesNotMatch(page.html, /class="secret"/);
    assert.equal((await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode: '123456' })).status, 403);
    const back = await agent.post(SIGNIN_ENROL_CONTINUE_PATH, { csrf });
    assert.equal(back.status, 403);
    assert.equal(back.location, undefined);
    // No sign-in at all.
    const stranger = new HttpAgent(server.baseUrl);
    assert.equal((await stranger.get(SIGNIN_ENROL_PATH)).status, 400);
    assert.equal((await stranger.post(SIGNIN_ENROL_CONTINUE_PATH, { csrf })).status, 403);
  });

  it('the password alone cannot enrol a new device on an account that has one: the page, the activation and the continue are refused', async () => {
    const person = await enrol(server, clock);
    const before = await deviceOf(person.userId);
    for (const extra of [{ acr_values: ACR_MFA }, {}] as Record<string, string>[]) {
      const { agent, csrf } = await atPasswordPage(extra);
      const afterPassword = await agent.post(SIGNIN_PASSWORD_PATH, { csrf, username: person.username, password: person.password });
      assert.equal(afterPassword.location, SIGNIN_PATH, 'the normal second-factor step');
      assert.match((await agent.get(SIGNIN_PATH)).html, new RegExp(`action="${SIGNIN_SECOND_FACTOR_PATH}"`));
      const page = await agent.get(SIGNIN_ENROL_PATH);
      assert.equal(page.status, 403);
      assert.doesNotMatch(page.html, /class="secret"/);
      assert.equal((await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode: codeFor(person.secret, clock) })).status, 403);
      assert.equal((await agent.post(SIGNIN_ENROL_CONTINUE_PATH, { csrf })).status, 403);
    }
    assert.deepEqual(await deviceOf(person.userId), before, 'the device is untouched');
  });

  it('an account whose device is switched off is not offered enrolment either: acr_values answers that a second factor is required', async () => {
    const person = await enrol(server, clock);
    const off = await postJson(
      server,
      MFA,
      person.accessToken,
      { password: person.password, turnedOn: false, passcode: codeFor(person.secret, clock) },
      'PATCH',
    );
    assert.equal(off.status, 200, JSON.stringify(off.body));
    clock.advance(PERIOD_MS);
    const before = await deviceOf(person.userId);
    const { agent, csrf } = await atPasswordPage({ acr_values: ACR_MFA });
    const afterPassword = await agent.post(SIGNIN_PASSWORD_PATH, { csrf, username: person.username, password: person.password });
    assert.equal(afterPassword.status, 403);
    assert.match(afterPassword.html, /requires a second factor/);
    assert.equal((await agent.get(SIGNIN_ENROL_PATH)).status, 400, 'the sign-in ended there');
    assert.deepEqual(await deviceOf(person.userId), before);
  });

  it('every enrolment form needs the sign-in’s CSRF token', async () => {
    const { user, password } = await server.createUser();
    const { agent, csrf, key } = await atEnrolmentPage(user.username, password);
    for (const forged of [{}, { csrf: 'x'.repeat(csrf.length) }] as Record<string, string>[]) {
      const answer = await agent.post(SIGNIN_ENROL_PATH, { ...forged, passcode: codeFor(key, clock) });
      assert.equal(answer.status, 403);
      assert.equal((await deviceOf(user.id))?.activatedAt, null, 'not activated');
    }
    assert.equal((await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode: codeFor(key, clock) })).status, 200);
    const forgedContinue = await agent.post(SIGNIN_ENROL_CONTINUE_PATH, { csrf: 'x'.repeat(csrf.length) });
    assert.equal(forgedContinue.status, 403);
    assert.equal(forgedContinue.location, undefined, 'no code');
    assert.equal((await agent.post(SIGNIN_ENROL_CONTINUE_PATH, { csrf })).status, 303);
  });

  it('a replayed passcode: the activation code works once, neither again on the enrolment page nor at the next sign-in', async () => {
    const { user, password } = await server.createUser();
    const { agent, csrf, key } = await atEnrolmentPage(user.username, password);
    const beforeActivation = new Map(agent.cookies);
    const passcode = codeFor(key, clock);
    assert.equal((await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode })).status, 200);
    // The same form posted again from the sign-in as it was before the activation (a copied cookie).
    const replay = new HttpAgent(server.baseUrl);
    for (const [name, value] of beforeActivation) replay.cookies.set(name, value);
    const replayed = await replay.post(SIGNIN_ENROL_PATH, { csrf, passcode });
    assert.equal(replayed.status, 403);
    assert.doesNotMatch(replayed.html, /<li><code>/, 'no new recovery codes');
    // A new sign-in: the device's second-factor step refuses the used code and takes the next one.
    const next = await atPasswordPage();
    await next.agent.post(SIGNIN_PASSWORD_PATH, { csrf: next.csrf, username: user.username, password });
    const refused = await next.agent.post(SIGNIN_SECOND_FACTOR_PATH, { csrf: next.csrf, passcode });
    assert.equal(refused.status, 401);
    clock.advance(PERIOD_MS);
    const accepted = await next.agent.post(SIGNIN_SECOND_FACTOR_PATH, { csrf: next.csrf, passcode: codeFor(key, clock) });
    assert.equal(accepted.status, 303);
    assert.ok(accepted.location?.startsWith(REDIRECT_URI));
  });

  it('wrong passcodes are shown next to the field, count toward the lockout, and then even the right one is refused', async () => {
    const { user, password } = await server.createUser();
    const { agent, csrf, key } = await atEnrolmentPage(user.username, password);
    const empty = await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode: '' });
    assert.equal(empty.status, 400, 'asking is not guessing');
    assert.match(empty.html, /id="passcode-error"/);
    for (let i = 0; i < 3; i++) {
      const wrong = await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode: wrongCodeFor(key, clock) });
      assert.equal(wrong.status, 401);
      assert.match(wrong.html, /<p class="field-error" id="passcode-error" role="alert">The passcode or recovery code is not valid/);
      assert.equal(enrolmentKeyOf(wrong.html), key, 'the same device is shown again');
    }
    const locked = await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode: codeFor(key, clock) });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.match(locked.html, /locked/);
    assert.equal((await deviceOf(user.id))?.activatedAt, null);
  });

  it('a policy that accepts passkeys only: no TOTP enrolment, neither after the password nor from a live session once the grace period ends', async () => {
    const now = clock.now();
    // The principal and the policy began 23 h 30 min ago, with one day of grace: 30 minutes are left.
    clock.ms = now - DAY_MS + 30 * 60_000;
    const { user, password } = await server.createUser('passkeys-only', { orgId: 'passkeys-org' });
    const policy = { mfaRequired: { signIn: true, apiTokenExchange: false }, gracePeriodDays: 1, exemptUsernames: [], allowedAuthenticators: ['webauthn'] };
    await setOrgPolicy(server.services.store, clock, 'passkeys-org', policy as never, 'admin');
    clock.ms = now;
    const { agent, csrf } = await atPasswordPage();
    const signedIn = await agent.post(SIGNIN_PASSWORD_PATH, { csrf, username: user.username, password });
    assert.ok(signedIn.location?.startsWith(REDIRECT_URI), 'inside the grace period the password signs in');
    clock.advance(40 * 60_000);
    // The live session: refused with the message (a TOTP device would not satisfy this policy), not sent to sign in again.
    const params = new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state: 's' });
    params.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    params.set('code_challenge_method', 'S256');
    const sso = await agent.get(`/csp/gateway/discovery?${params}`);
    assert.equal(sso.status, 403);
    assert.match(sso.html, /enrolment period has ended/);
    // A fresh sign-in: the password page refuses too, and the enrolment page stays closed.
    const fresh = await atPasswordPage();
    const refused = await fresh.agent.post(SIGNIN_PASSWORD_PATH, { csrf: fresh.csrf, username: user.username, password });
    assert.equal(refused.status, 403);
    assert.match(refused.html, /enrolment period has ended/);
    assert.equal((await fresh.agent.get(SIGNIN_ENROL_PATH)).status, 400);
    assert.equal(await deviceOf(user.id), undefined, 'no device was made');
  });

  it('a device replaced elsewhere after the page showed it is not activated from this page', async () => {
    const { user, password, apiToken } = await server.createUser();
    const { agent, csrf, key } = await atEnrolmentPage(user.username, password);
    const { body } = await server.exchange(apiToken);
    const elsewhere = await postJson(server, `${MFA}/device`, body.access_token, { deviceName: 'other tab' });
    assert.equal(elsewhere.status, 201);
    const answer = await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode: codeFor(elsewhere.body.secret, clock) });
    assert.equal(answer.status, 404);
    assert.match(answer.html, /set-up changed/);
    const fresh = enrolmentKeyOf(answer.html);
    assert.notEqual(fresh, key);
    assert.notEqual(fresh, elsewhere.body.secret);
    assert.equal((await deviceOf(user.id))?.activatedAt, null);
  });
});
