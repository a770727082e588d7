// "Use a passkey" on the sign-in second-factor page (issues 11 + 12), in headless Chromium with the CDP
// virtual authenticator and openid-client: register a passkey on /mfa, then sign in through the OIDC flow
// with password + passkey and exchange the code. Also: a replayed assertion is refused on the page, the
// options endpoint needs the sign-in's CSRF token, the strict page CSP holds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CDPSession } from 'playwright-core';
import { authenticatorOfAmr } from '../../src/orgs/authenticators.js';
import { setOrgPolicy } from '../../src/orgs/policy-store.js';
import { SIGNIN_PASSKEY_OPTIONS_PATH } from '../../src/paths.js';
import { ACR_MFA } from '../../src/signin/assurance.js';
import { auditActions } from '../authenticators/support.js';
import { claimsOf } from '../mfa/support.js';
import { expectCspError } from '../support/server.js';
import { exchangeCode, forgetBrowserSession, isAtCallback, type SignInWorld, startAuthorization, startSignInWorld, submitPassword } from './support.js';

describe('a passkey as the second factor of an interactive sign-in', () => {
  let world: SignInWorld;
  let cdp: CDPSession;
  let origin: string;
  before(async () => {
    world = await startSignInWorld({}, { passkeys: true });
    origin = new URL(world.issuer).origin;
    cdp = await world.browser.context.newCDPSession(world.page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
  });
  after(async () => world?.close());

  /** A principal with a passkey (and nothing else), registered through the /mfa page as a person would. */
  async function principalWithPasskey(username: string, orgId: string) {
    const { page } = world;
    const created = await world.server.createUser(username, { orgId });
    await page.goto(`${origin}/mfa`);
    await page.getByLabel('API token').fill(created.apiToken);
    await page.locator('#signin-form button[type=submit]').click();
    await page.locator('#panel-authenticators').waitFor({ state: 'visible' });
    await page.getByLabel('Passkey or security key name').fill('Virtual key');
    await page.locator('#passkey-form button[type=submit]').click();
    await page.locator('#view-recovery').waitFor({ state: 'visible' });
    const recoveryCodes = await page.locator('#recovery-codes li').allTextContents();
    await page.locator('#codes-saved').click();
    await page.locator('#authenticator-list li', { hasText: 'Virtual key' }).waitFor();
    await page.locator('#sign-out').click();
    await page.locator('#view-signin').waitFor({ state: 'visible' });
    return { ...created, recoveryCodes };
  }

  it('registers a passkey on /mfa, then signs in with password + passkey; the code is exchanged with amr hwk and the MFA acr', async () => {
    const { page } = world;
    const { user, password } = await principalWithPasskey('passkey-signin', 'passkey-org');
    // The organization allows passkeys only: the passkey must count as one (after the grace period, none left).
    await setOrgPolicy(
      world.server.services.store,
      world.clock,
      'passkey-org',
      { mfaRequired: { signIn: true, apiTokenExchange: false }, gracePeriodDays: 0, exemptUsernames: [], allowedAuthenticators: ['webauthn'] } as never,
      'admin',
    );

    const started = await startAuthorization(world);
    const secondFactorPage = page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname === '/csp/gateway/signin');
    await submitPassword(page, user.username, password);
    const policy = (await secondFactorPage).headers()['content-security-policy'] ?? '';
    assert.match(policy, /script-src 'self'; connect-src 'self';/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script');
    assert.equal(await page.locator('input[name="passcode"]').getAttribute('autocomplete'), 'one-time-code', 'a recovery code remains possible');
    // With the interaction cookie but a CSRF token of its own making, a script gets no options.
    const forged = await page.evaluate(async (path) => {
      const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=forged' });
      return { status: res.status, body: await res.json() };
    }, SIGNIN_PASSKEY_OPTIONS_PATH);
    assert.equal(forged.status, 400);
    expectCspError(forged.body, 400);
    // A copy of the sign-in's cookies as they are before the passkey finishes it.
    const copiedCookies = (await world.browser.context.cookies(origin)).map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
    const postedAssertion = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/second-factor'));
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((url) => url.href.startsWith(world.rp.redirectUri));
    assert.ok(isAtCallback(world), page.url());
    const form = new URLSearchParams((await postedAssertion).postData() ?? '');
    assert.equal(form.get('factor'), 'passkey');
    assert.ok(JSON.parse(form.get('webauthn') ?? '{}').response?.signature, 'the AuthenticationResponseJSON was posted in webauthn');

    // The passkey finished the sign-in: its copied cookie gets neither options nor a second code, and the replay is no guess.
    const copy = (path: string, body: URLSearchParams) =>
      fetch(`${origin}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie: copiedCookies }, body });
    const options = await copy(SIGNIN_PASSKEY_OPTIONS_PATH, new URLSearchParams({ csrf: form.get('csrf') ?? '' }));
    assert.equal(options.status, 400);
    assert.equal(expectCspError(await options.json(), 400).errorCode, 'invalid_request');
    const replayed = await copy('/csp/gateway/signin/second-factor', form);
    assert.equal(replayed.status, 403);
    assert.equal(replayed.headers.get('location'), null, 'no second code');
    assert.match(await replayed.text(), /Sign-in expired/);

    const tokens = await exchangeCode(world, started);
    const idClaims = tokens.claims();
    assert.ok(idClaims);
    assert.deepEqual(idClaims.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(idClaims.acr, ACR_MFA);
    const accessClaims = claimsOf(tokens.access_token);
    assert.deepEqual(accessClaims.amr, ['pwd', 'hwk', 'mfa']);
    assert.equal(accessClaims.mfa_enrollment_due, undefined);
    assert.equal((await auditActions(world.server, user.id)).at(-1), 'WEBAUTHN_AUTHENTICATION_SUCCESS', 'audited as at the exchange');

    // The same assertion again, in a new sign-in: its challenge was spent, so it is refused on the page.
    await forgetBrowserSession(world);
    const arrivalsBefore = world.rp.arrivals.length;
    await startAuthorization(world);
    await submitPassword(page, user.username, password);
    await page.locator('input[name="webauthn"]').evaluate((input, value) => ((input as HTMLInputElement).value = value), form.get('webauthn') ?? '');
    const answer = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    assert.equal((await answer).status(), 401);
    await page.locator('#webauthn-error').waitFor({ state: 'visible' });
    assert.match((await page.locator('#webauthn-error').textContent()) ?? '', /not accepted/);
    assert.equal(world.rp.arrivals.length, arrivalsBefore, 'no code for a replayed assertion');
    assert.equal((await auditActions(world.server, user.id)).at(-1), 'WEBAUTHN_AUTHENTICATION_FAILURE');

    // Refused assertions count toward the principal's lockout, the one the exchange and passcodes share.
    const threshold = world.server.services.config.lockoutThreshold;
    let lockedStatus = 0;
    for (let attempt = 1; attempt <= threshold && lockedStatus !== 429; attempt++) {
      await page.locator('input[name="webauthn"]').evaluate((input, value) => ((input as HTMLInputElement).value = value), form.get('webauthn') ?? '');
      const refused = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      lockedStatus = (await refused).status();
    }
    assert.equal(lockedStatus, 429, 'locked after the threshold of refusals');
    assert.match((await page.locator('.form-error[role="alert"]').textContent()) ?? '', /locked/);
    assert.equal(world.rp.arrivals.length, arrivalsBefore);

    assert.deepEqual(await world.browser.violations(), [], 'the strict page CSP holds: scripts from this server only');
    assert.deepEqual(world.browser.foreignRequests, [], 'no CDN');
  });

  it('lets a principal with passkeys only use a recovery code instead', async () => {
    const { page } = world;
    await forgetBrowserSession(world);
    const { user, password, recoveryCodes } = await principalWithPasskey('passkey-recovery', 'passkey-org-3');
    assert.equal(recoveryCodes.length, 10);
    const started = await startAuthorization(world);
    await submitPassword(page, user.username, password);
    assert.equal(await page.getByRole('heading', { name: 'Recovery code' }).count(), 1);
    await page.fill('input[name="passcode"]', recoveryCodes[0] ?? '');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(world.rp.redirectUri)), page.getByRole('button', { name: 'Verify' }).click()]);
    const idClaims = (await exchangeCode(world, started)).claims();
    assert.deepEqual(idClaims?.amr, ['pwd', 'recovery_code', 'mfa']);
  });

  it('gives passkey options only to a sign-in in progress: without one, a CspErrorResponse', async () => {
    const noInteraction = await fetch(`${origin}${SIGNIN_PASSKEY_OPTIONS_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=x',
    });
    assert.equal(noInteraction.status, 400);
    expectCspError(await noInteraction.json(), 400);
  });

  it('counts a synced passkey (swk) as the webauthn kind for the organization policy', () => {
    assert.equal(authenticatorOfAmr(['pwd', 'swk', 'mfa']), 'webauthn');
    assert.equal(authenticatorOfAmr(['pwd', 'hwk', 'mfa']), 'webauthn');
  });
});
