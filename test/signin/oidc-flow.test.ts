// Issue 11: the whole interactive sign-in in headless Chromium, with openid-client as the application:
// discovery, authorization with PKCE, password, TOTP, code exchange, ID-token validation by the library,
// userinfo, refresh with rotation, reuse detection, logout, and single sign-on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { ACR_MFA, ACR_PASSWORD } from '../../src/signin/assurance.js';
import { codeFor, enrol, PERIOD_MS } from '../mfa/support.js';
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

describe('interactive sign-in with openid-client in Chromium', () => {
  let world: SignInWorld;
  before(async () => {
    world = await startSignInWorld();
  });
  after(async () => world?.close());

  it('issue 11: discovery passes the library and names the authorization, userinfo and end-session endpoints', () => {
    const metadata = world.oidc.serverMetadata();
    assert.equal(metadata.issuer, world.issuer);
    assert.equal(metadata.authorization_endpoint, `${world.server.baseUrl}/csp/gateway/discovery`);
    assert.equal(metadata.userinfo_endpoint, `${world.server.baseUrl}/csp/gateway/am/api/auth/userinfo`);
    assert.equal(metadata.end_session_endpoint, `${world.server.baseUrl}/csp/gateway/am/api/auth/logout`);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.ok(metadata.supportsPKCE());
  });

  it('issue 11: password, then TOTP, then back with a code; ID token, userinfo, refresh rotation, reuse detection, logout', async () => {
    const { page } = world;
    const person = await enrol(world.server, world.clock);
    const started = await startAuthorization(world);
    assert.equal(await page.locator('input[name="username"]').count(), 1, 'the password page is shown');
    await submitPassword(page, person.username, person.password);
    assert.equal(await page.locator('input[name="passcode"]').count(), 1, 'then the second-factor page');
    await submitPasscode(page, codeFor(person.secret, world.clock));
    assert.ok(isAtCallback(world), page.url());
    assert.equal(new URL(page.url()).searchParams.get('iss'), world.issuer);

    const tokens = await exchangeCode(world, started);
    const idClaims = tokens.claims();
    assert.ok(idClaims);
    assert.equal(idClaims.sub, `local:${person.userId}`);
    assert.equal(idClaims.nonce, started.nonce);
    assert.deepEqual(idClaims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(idClaims.acr, ACR_MFA);
    assert.equal(idClaims.auth_time, Math.floor(world.clock.now() / 1000));

    const info = await client.fetchUserInfo(world.oidc, tokens.access_token, idClaims.sub);
    assert.equal(info.sub, idClaims.sub);
    assert.equal(info.preferred_username, person.username);

    // The access token works at the MFA API like any other.
    const status = await world.server.call('/csp/gateway/iam/vmwid/api/principal/mfa/status', { token: tokens.access_token });
    assert.equal(status.status, 200);

    const firstRefresh = tokens.refresh_token as string;
    assert.ok(firstRefresh?.startsWith('pmfa_rt_'));
    const refreshed = await client.refreshTokenGrant(world.oidc, firstRefresh);
    assert.ok(refreshed.refresh_token && refreshed.refresh_token !== firstRefresh, 'a new refresh token each time');
    assert.equal(refreshed.claims()?.auth_time, idClaims.auth_time, 'refresh keeps the sign-in time');
    // The old one again: reuse. Refused, and the whole family with it (the newest one too).
    await expectTokenRefusal(client.refreshTokenGrant(world.oidc, firstRefresh), 'invalid_grant');
    await expectTokenRefusal(client.refreshTokenGrant(world.oidc, refreshed.refresh_token as string), 'invalid_grant');

    // Logout, RP-initiated, back to the registered post-logout URI with the state.
    const logout = client.buildEndSessionUrl(world.oidc, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: world.rp.postLogoutRedirectUri,
      state: 'bye',
    });
    await page.goto(logout.href);
    assert.ok(page.url().startsWith(world.rp.postLogoutRedirectUri), page.url());
    assert.equal(new URL(page.url()).searchParams.get('state'), 'bye');
    // Signed out: the next authorization asks for the password again.
    await startAuthorization(world);
    assert.equal(await page.locator('input[name="password"]').count(), 1);

    assert.deepEqual(await world.browser.violations(), []);
    assert.deepEqual(world.browser.foreignRequests, []);
    assert.deepEqual(world.browser.consoleErrors, []);
  });

  it('issue 11: a live session signs in again without the password (SSO), with the first sign-in time', async () => {
    const { page } = world;
    await forgetBrowserSession(world);
    const person = await world.server.createUser();
    const first = await startAuthorization(world);
    await submitPassword(page, person.user.username, person.password);
    assert.ok(isAtCallback(world), page.url());
    const firstTokens = await exchangeCode(world, first);
    assert.deepEqual(firstTokens.claims()?.amr, ['pwd']);
    assert.equal(firstTokens.claims()?.acr, ACR_PASSWORD);
    assert.equal(firstTokens.refresh_token !== undefined, true);

    world.clock.advance(5_000);
    const second = await startAuthorization(world);
    assert.ok(isAtCallback(world), 'straight back to the application');
    const secondTokens = await exchangeCode(world, second);
    assert.equal(secondTokens.claims()?.sub, firstTokens.claims()?.sub);
    assert.equal(secondTokens.claims()?.auth_time, firstTokens.claims()?.auth_time);
  });

  it('issue 11: prompt=login asks for the password despite a live session', async () => {
    const { page } = world;
    const person = await world.server.createUser();
    await startAuthorization(world, { prompt: 'login' });
    await submitPassword(page, person.user.username, person.password);
    assert.ok(isAtCallback(world));
    await startAuthorization(world, { prompt: 'login' });
    assert.equal(await page.locator('input[name="password"]').count(), 1, 'the password page again');
  });

  it('issue 11: max_age=0 asks for the password again, and the new auth_time satisfies the library', async () => {
    const { page } = world;
    await forgetBrowserSession(world);
    const person = await world.server.createUser();
    await startAuthorization(world);
    await submitPassword(page, person.user.username, person.password);
    assert.ok(isAtCallback(world));
    world.clock.advance(10_000);
    const started = await startAuthorization(world, { max_age: '0' });
    assert.equal(await page.locator('input[name="password"]').count(), 1, 'max_age=0 is a fresh sign-in');
    await submitPassword(page, person.user.username, person.password);
    const tokens = await exchangeCode(world, started, { maxAge: 0 });
    assert.equal(tokens.claims()?.auth_time, Math.floor(world.clock.now() / 1000));
  });

  it('issue 11: acr_values for the MFA class makes the second factor mandatory', async () => {
    const { page } = world;
    // A password-only session does not satisfy it; a person without a device is sent to set one up.
    const plain = await world.server.createUser();
    await startAuthorization(world, { prompt: 'login' });
    await submitPassword(page, plain.user.username, plain.password);
    assert.ok(isAtCallback(world));
    await startAuthorization(world, { acr_values: ACR_MFA });
    assert.equal(await page.locator('input[name="password"]').count(), 1, 'the session is password-only: sign in again');
    await submitPassword(page, plain.user.username, plain.password);
    assert.equal(isAtCallback(world), false, 'no code without a second factor');
    assert.match(await page.locator('main').innerText(), /requires a second factor/);
    assert.equal(await page.locator('#secret').count(), 1, 'set-up offered in the sign-in (enrolment-flow.test.ts goes on from here)');

    // A person with a device signs in with it and gets the MFA class.
    world.clock.advance(PERIOD_MS);
    const person = await enrol(world.server, world.clock);
    const started = await startAuthorization(world, { acr_values: ACR_MFA });
    await submitPassword(page, person.username, person.password);
    await submitPasscode(page, codeFor(person.secret, world.clock));
    const tokens = await exchangeCode(world, started);
    assert.equal(tokens.claims()?.acr, ACR_MFA);
  });
});
