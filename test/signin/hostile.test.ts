// Issue 11: the hostile cases of interactive sign-in, each on its own, in Chromium against the real server.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as client from 'openid-client';
import { registerApplication } from '../../src/signin/applications.js';
import { codeFor, enrol, MFA, postJson, wrongCodeFor } from '../mfa/support.js';
import {
  exchangeCode,
  expectTokenRefusal,
  forgetBrowserSession,
  isAtCallback,
  type SignInWorld,
  startAuthorization,
  startSignInWorld,
  submitPasscode,
  submitPassword,
} from './support.js';

const TOKEN_PATH = '/csp/gateway/am/api/auth/token';

describe('interactive sign-in: hostile cases', () => {
  let world: SignInWorld;
  before(async () => {
    world = await startSignInWorld({ lockoutThreshold: 3 });
  });
  after(async () => world?.close());
  beforeEach(async () => forgetBrowserSession(world));

  /** A raw token request as the confidential application (HTTP Basic). */
  const tokenRequest = (fields: Record<string, string>, auth: string | null = `${world.clientId}:${world.clientSecret}`) =>
    fetch(`${world.server.baseUrl}${TOKEN_PATH}`, {
      method: 'POST',
      headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {},
      body: new URLSearchParams(fields),
    });

  async function signInToCallback(extra: Record<string, string> = {}) {
    await forgetBrowserSession(world);
    const person = await world.server.createUser();
    const started = await startAuthorization(world, extra);
    await submitPassword(world.page, person.user.username, person.password);
    assert.ok(isAtCallback(world), world.page.url());
    return { person, started, code: new URL(world.page.url()).searchParams.get('code') as string };
  }

  it('issue 11: a wrong password is shown next to the password field, audited, and gives no code', async () => {
    const person = await world.server.accessTokenFor();
    const since = world.clock.now();
    await startAuthorization(world);
    const answer = world.page.waitForResponse((response) => response.url().endsWith('/csp/gateway/signin/password'));
    await submitPassword(world.page, person.user.username, 'not-the-password');
    assert.equal((await answer).status(), 403);
    assert.equal(isAtCallback(world), false);
    assert.match(await world.page.locator('#password-error').innerText(), /username or password is not correct/);
    assert.equal(await world.page.locator('#password').getAttribute('aria-invalid'), 'true');
    assert.equal(await world.page.locator('#username').inputValue(), person.user.username, 'the username is kept');
    const audit = await postJson(world.server, `${MFA}/audit`, person.accessToken, {
      startDate: since,
      endDate: world.clock.now() + 1,
      actions: ['PASSWORD_VERIFICATION_FAILURE'],
    });
    assert.deepEqual(
      audit.body.results.map((event: { action: string }) => event.action),
      ['PASSWORD_VERIFICATION_FAILURE'],
    );
  });

  it('issue 11: an unknown username answers exactly like a wrong password', async () => {
    await startAuthorization(world);
    await submitPassword(world.page, 'nobody-here', 'whatever-password');
    assert.match(await world.page.locator('#password-error').innerText(), /username or password is not correct/);
  });

  it('issue 11: a wrong passcode is shown next to the passcode field and gives no code', async () => {
    const person = await enrol(world.server, world.clock);
    await startAuthorization(world);
    await submitPassword(world.page, person.username, person.password);
    await submitPasscode(world.page, wrongCodeFor(person.secret, world.clock));
    assert.equal(isAtCallback(world), false);
    assert.match(await world.page.locator('#passcode-error').innerText(), /not valid/);
    // The right one still works afterwards.
    await submitPasscode(world.page, codeFor(person.secret, world.clock));
    assert.ok(isAtCallback(world));
  });

  it('issue 11: after the lockout threshold even the right password is refused with 429', async () => {
    const person = await world.server.createUser();
    await startAuthorization(world);
    for (let i = 0; i < 3; i++) await submitPassword(world.page, person.user.username, `wrong-${i}`);
    const answer = world.page.waitForResponse((response) => response.url().endsWith('/csp/gateway/signin/password'));
    await submitPassword(world.page, person.user.username, person.password);
    const response = await answer;
    assert.equal(response.status(), 429);
    assert.ok(Number(response.headers()['retry-after']) > 0);
    assert.match(await world.page.locator('.form-error').innerText(), /locked/);
    assert.equal(isAtCallback(world), false);
  });

  it('issue 11: a replayed code is refused, and the refresh token it issued is revoked', async () => {
    const { started } = await signInToCallback();
    const callback = new URL(world.page.url());
    const tokens = await exchangeCode(world, started);
    assert.ok(tokens.refresh_token);
    await expectTokenRefusal(
      client.authorizationCodeGrant(world.oidc, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce }),
      'invalid_grant',
    );
    await expectTokenRefusal(client.refreshTokenGrant(world.oidc, tokens.refresh_token as string), 'invalid_grant');
  });

  it('issue 11: the library refuses a callback whose state is not the one it sent', async () => {
    const { started } = await signInToCallback();
    assert.equal(new URL(world.page.url()).searchParams.get('state'), started.state, 'the state comes back unchanged');
    await assert.rejects(exchangeCode(world, { ...started, state: client.randomState() }), (error: any) => /"state"/.test(String(error.cause?.message)));
  });

  it('issue 11: an unregistered redirect URI gets an error page, never a redirect', async () => {
    const arrivals = world.rp.arrivals.length;
    const started = await startAuthorization(world, { redirect_uri: `${world.rp.origin}/elsewhere` });
    assert.ok(started);
    assert.ok(world.page.url().startsWith(world.server.baseUrl), world.page.url());
    assert.match(await world.page.locator('main').innerText(), /redirect URI is not one registered/);
    assert.equal(world.rp.arrivals.length, arrivals, 'nothing reached the application');
  });

  it('issue 11: a code exchanged with another redirect URI, a wrong verifier or by another client is refused', async () => {
    const { code, started } = await signInToCallback();
    const base = { grant_type: 'authorization_code', code, redirect_uri: world.rp.redirectUri, code_verifier: started.verifier };
    const wrongRedirect = await tokenRequest({ ...base, redirect_uri: `${world.rp.origin}/other` });
    assert.equal(wrongRedirect.status, 400);
    assert.equal((await wrongRedirect.json()).errorCode, 'invalid_grant');
    // The code is spent by that attempt: single use holds even for a refused exchange.
    const again = await tokenRequest(base);
    assert.equal(again.status, 400);

    const second = await signInToCallback();
    const wrongVerifier = await tokenRequest({ ...base, code: second.code, code_verifier: client.randomPKCECodeVerifier() });
    assert.equal((await wrongVerifier.json()).errorCode, 'invalid_grant');

    const third = await signInToCallback();
    const other = await registerApplication(world.server.services.store, world.clock, {
      name: 'Other',
      redirectUris: [world.rp.redirectUri],
      postLogoutRedirectUris: [],
      isPublic: false,
    });
    const stolen = await tokenRequest({ ...base, code: third.code, code_verifier: third.started.verifier }, `${other.clientId}:${other.clientSecret}`);
    assert.equal((await stolen.json()).errorCode, 'invalid_grant');
  });

  it('issue 11: a code older than 60 seconds is refused', async () => {
    const { code, started } = await signInToCallback();
    world.clock.advance(61_000);
    const answer = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: world.rp.redirectUri, code_verifier: started.verifier });
    assert.equal((await answer.json()).errorCode, 'invalid_grant');
  });

  it("issue 11: PKCE is required and 'plain' is refused, with an error sent back to the application", async () => {
    await startAuthorization(world, { code_challenge_method: 'plain' });
    assert.ok(isAtCallback(world));
    assert.equal(new URL(world.page.url()).searchParams.get('error'), 'invalid_request');
    const url = client.buildAuthorizationUrl(world.oidc, { redirect_uri: world.rp.redirectUri, scope: 'openid', state: 's1' });
    await world.page.goto(url.href);
    const answer = new URL(world.page.url());
    assert.equal(answer.searchParams.get('error'), 'invalid_request');
    assert.equal(answer.searchParams.get('state'), 's1');
  });

  it('issue 11: a form posted without the sign-in cookie and its CSRF token is refused', async () => {
    const person = await world.server.createUser();
    const answer = await fetch(`${world.server.baseUrl}/csp/gateway/signin/password`, {
      method: 'POST',
      body: new URLSearchParams({ username: person.user.username, password: person.password, csrf: 'guess' }),
      redirect: 'manual',
    });
    assert.equal(answer.status, 403);
    assert.equal(answer.headers.get('location'), null);
    assert.equal(answer.headers.get('set-cookie'), null);
  });

  it('issue 11: the pages are not cached or framed, and allow the form to go back to the registered redirect URI only', async () => {
    await startAuthorization(world);
    const response = await world.page.reload();
    const headers = response?.headers() ?? {};
    assert.equal(headers['cache-control'], 'no-store');
    const policy = headers['content-security-policy'] ?? '';
    assert.match(policy, /frame-ancestors 'none'/);
    assert.match(policy, new RegExp(`form-action 'self' ${world.rp.redirectUri.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')};`));
    assert.doesNotMatch(policy, /script-src/);
  });

  it('issue 11: usable at 375 px and with the keyboard alone', async () => {
    const person = await world.server.createUser();
    await world.page.setViewportSize({ width: 375, height: 700 });
    try {
      await startAuthorization(world);
      const overflow = await world.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, 'no horizontal scrolling');
      // Focus starts on the username; Tab moves to the password; Enter submits.
      await world.page.keyboard.type(person.user.username);
      await world.page.keyboard.press('Tab');
      await world.page.keyboard.type(person.password);
      await Promise.all([world.page.waitForURL((url) => url.href.startsWith(world.rp.redirectUri)), world.page.keyboard.press('Enter')]);
      assert.ok(isAtCallback(world));
    } finally {
      await world.page.setViewportSize({ width: 1100, height: 900 });
    }
  });

  it('issue 11: a public client exchanges its code with PKCE alone; a confidential one without its secret is refused', async () => {
    const { clientId } = await registerApplication(world.server.services.store, world.clock, {
      name: 'Browser app',
      redirectUris: [world.rp.redirectUri],
      postLogoutRedirectUris: [],
      isPublic: true,
    });
    const publicClient = await client.discovery(new URL(world.issuer), clientId, { [client.clockTolerance]: 3600 }, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const person = await world.server.createUser();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(publicClient, {
      redirect_uri: world.rp.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    await world.page.goto(url.href);
    await submitPassword(world.page, person.user.username, person.password);
    const tokens = await client.authorizationCodeGrant(publicClient, new URL(world.page.url()), { pkceCodeVerifier: verifier, expectedState: state });
    assert.equal(tokens.claims()?.aud, clientId);
    assert.equal(tokens.refresh_token, undefined, 'no offline_access, no refresh token');

    const { code, started } = await signInToCallback();
    const noSecret = await tokenRequest(
      { grant_type: 'authorization_code', code, redirect_uri: world.rp.redirectUri, code_verifier: started.verifier, client_id: world.clientId },
      null,
    );
    assert.equal(noSecret.status, 401);
    assert.equal((await noSecret.json()).errorCode, 'invalid_client');
  });
});
