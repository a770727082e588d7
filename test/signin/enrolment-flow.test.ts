// Enrolment inside the sign-in (issue 11 item 4), the whole flow in headless Chromium with openid-client as
// the application: a second factor the person does not have is set up between the password and the redirect
// back, and the sign-in completes with it. The hostile cases are in enrolment-hostile.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { setOrgPolicy } from '../../src/orgs/policy-store.js';
import { ACR_MFA } from '../../src/signin/assurance.js';
import { claimsOf, codeFor } from '../mfa/support.js';
import { exchangeCode, forgetBrowserSession, isAtCallback, type SignInWorld, startAuthorization, startSignInWorld, submitPassword } from './support.js';

/** The key the enrolment page writes out, as an authenticator app would take it. */
const keyOnPage = async (page: Page): Promise<string> => ((await page.locator('#secret').innerText()) ?? '').replace(/\s+/g, '');
const horizontalOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('enrolment inside the sign-in, in Chromium with openid-client', () => {
  let world: SignInWorld;
  before(async () => {
    world = await startSignInWorld();
  });
  after(async () => world?.close());

  async function expectCleanPage() {
    assert.deepEqual(await world.browser.violations(), [], 'no Content-Security-Policy violation');
    assert.deepEqual(world.browser.consoleErrors, []);
    assert.deepEqual(world.browser.foreignRequests, [], 'nothing from another origin');
  }

  it('acr_values forcing MFA, no device: enrol with the QR code page, save the recovery codes, and come back with acr mfa', async () => {
    const { page } = world;
    await forgetBrowserSession(world);
    const { user, password } = await world.server.createUser();
    const started = await startAuthorization(world, { acr_values: ACR_MFA });
    await submitPassword(page, user.username, password);
    assert.ok(page.url().endsWith('/csp/gateway/signin/enrol'), page.url());
    assert.match(await page.locator('main').innerText(), /Test Application requires a second factor/);
    // The QR code is drawn (a data: image the page's policy allows), and the key is written out beside it.
    const qr = page.locator('img.qr-code');
    assert.ok((await qr.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))) > 0, 'the QR code is shown');
    assert.ok(await qr.getAttribute('alt'));
    const key = await keyOnPage(page);
    assert.match(key, /^[A-Z2-7]{32}$/);
    await expectCleanPage();

    await page.fill('input[name="passcode"]', codeFor(key, world.clock));
    await page.click('button[type="submit"]');
    await page.locator('.recovery-codes').waitFor();
    const codes = await page.locator('.recovery-codes code').allInnerTexts();
    assert.equal(codes.length, 10, 'the recovery codes, shown once');
    assert.equal(isAtCallback(world), false, 'the person reads them before going on');
    await Promise.all([page.waitForURL((url) => url.href.startsWith(world.rp.redirectUri)), page.click('button[type="submit"]')]);

    const tokens = await exchangeCode(world, started);
    const idToken = tokens.claims();
    assert.equal(idToken?.acr, ACR_MFA);
    assert.deepEqual(idToken?.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claimsOf(tokens.access_token).acr, ACR_MFA);
    const device = await world.server.services.store.devices.findByUser(user.id);
    assert.ok(device?.activatedAt, 'the device is the one /mfa shows, activated');
    // The session has the second factor: the next request for the MFA class signs in without a page.
    await startAuthorization(world, { acr_values: ACR_MFA });
    assert.ok(isAtCallback(world), page.url());
    await expectCleanPage();
  });

  it('the organization policy after the grace period: enrol at 375 px with the keyboard alone, then signed in with no due claim', async () => {
    const { page } = world;
    await forgetBrowserSession(world);
    const { user, password } = await world.server.createUser('enrol-late', { orgId: 'enrol-org' });
    await setOrgPolicy(
      world.server.services.store,
      world.clock,
      'enrol-org',
      { mfaRequired: { signIn: true, apiTokenExchange: false }, gracePeriodDays: 0, exemptUsernames: [], allowedAuthenticators: ['totp', 'webauthn'] },
      'admin',
    );
    await page.setViewportSize({ width: 375, height: 700 });
    try {
      const started = await startAuthorization(world);
      await submitPassword(page, user.username, password);
      assert.match(await page.locator('main').innerText(), /enrolment period has ended/);
      assert.equal(await horizontalOverflow(page), 0, 'no horizontal scrolling on the enrolment page');
      // The passcode field has the focus; Enter activates.
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'passcode');
      await page.keyboard.type(codeFor(await keyOnPage(page), world.clock));
      await page.keyboard.press('Enter');
      await page.locator('.recovery-codes').waitFor();
      assert.equal(await page.locator('.recovery-codes code').count(), 10);
      assert.equal(await horizontalOverflow(page), 0, 'no horizontal scrolling on the recovery codes');
      // Tab reaches the continue button; Enter goes back to the application.
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'BUTTON');
      await Promise.all([page.waitForURL((url) => url.href.startsWith(world.rp.redirectUri)), page.keyboard.press('Enter')]);
      const claims = claimsOf((await exchangeCode(world, started)).access_token);
      assert.equal(claims.mfa_enrollment_due, undefined, 'the policy is satisfied');
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      await expectCleanPage();
    } finally {
      await page.setViewportSize({ width: 1100, height: 900 });
    }
  });
});
