// Errors on the self-service page appear next to the control that caused them, scrolled into view and
// announced, on a phone-sized and a desktop-sized window: a wrong activation code, a refused turn-off, a
// refused removal and an audit log that cannot be loaded because the session has ended.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { base32Decode, timeStep, totpAt } from '../../src/mfa/totp.js';
import { TestClock } from '../support/server.js';
import { useServerAndBrowser } from './browser.js';

const VIEWPORTS = [
  { width: 375, height: 812 },
  { width: 1280, height: 800 },
];

describe('errors on the self-service page, next to their control', () => {
  const clock = new TestClock();
  const ui = useServerAndBrowser({ clock });

  /** Scrolls to the top, then submits the form (or clicks the button) the way a person would, and returns the server's refusal. */
  async function submitFromTop(page: Page, selector: string, apiPath: string): Promise<{ message: string; requestId: string }> {
    const refusal = page.waitForResponse((response) => new URL(response.url()).pathname.endsWith(apiPath) && response.status() >= 400);
    await page.locator(selector).evaluate((control) => {
      window.scrollTo(0, 0);
      if (control instanceof HTMLFormElement) control.requestSubmit();
      else (control as HTMLElement).click();
    });
    return (await refusal).json();
  }

  /** The server's message is in the error region inside `container`, fully in the viewport, announced, with focus nearby. */
  async function expectErrorNextTo(page: Page, container: string, refusal: { message: string; requestId: string }): Promise<void> {
    const region = page.locator(`${container} [role="alert"]`, { hasText: refusal.message });
    await region.waitFor({ state: 'visible' });
    assert.match((await region.textContent()) ?? '', new RegExp(`Request ID: ${refusal.requestId}`));
    const placement = await region.evaluate((node) => {
      const box = node.getBoundingClientRect();
      const live = node.closest('[role="alert"], [aria-live]');
      return {
        top: box.top,
        bottom: box.bottom,
        innerHeight: window.innerHeight,
        announced: live?.getAttribute('role') === 'alert' || ['polite', 'assertive'].includes(live?.getAttribute('aria-live') ?? ''),
      };
    });
    // Less than a pixel may stick out: layout has fractional heights, scrolling whole pixels.
    assert.ok(placement.top >= 0 && placement.bottom < placement.innerHeight + 1, `the error is in the viewport: ${JSON.stringify(placement)}`);
    assert.ok(placement.announced, 'the error region is announced');
    assert.equal(await page.locator('#error').textContent(), '', 'nothing is shown at the top of the page');
    assert.equal(await page.evaluate((selector) => Boolean(document.activeElement?.closest(selector)), container), true, 'focus is next to the error');
  }

  for (const viewport of VIEWPORTS) {
    it(`shows each error next to its form, in view and announced, at ${viewport.width}x${viewport.height}`, async () => {
      const { page } = ui.browser;
      await page.setViewportSize(viewport);
      const { apiToken, password } = await ui.server.createUser(`errors-${viewport.width}`);
      await page.goto(`${ui.server.baseUrl}/mfa`);
      await page.getByLabel('API token').fill(apiToken);
      await page.locator('#signin-form button[type=submit]').click();
      await page.locator('#view-dashboard').waitFor({ state: 'visible' });

      // A wrong code on activation, below the QR code and the key.
      await page.locator('#start-enrol').click();
      await page.getByLabel('Device name').fill('Phone');
      await page.locator('#device-form button[type=submit]').click();
      await page.locator('#enrol-step-scan').waitFor({ state: 'visible' });
      const secret = base32Decode(((await page.locator('#manual-key').textContent()) ?? '').replace(/\s+/g, ''));
      const rightCode = totpAt(secret, timeStep(clock.now(), 30));
      await page.getByLabel('Code from your authenticator').fill(String((Number(rightCode) + 1) % 1_000_000).padStart(6, '0'));
      await expectErrorNextTo(page, '#activate-form', await submitFromTop(page, '#activate-form', '/device/activate'));
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'activate-code', 'focus is on the code to correct');

      // With the device active, a turn-off and a removal the server refuses: both need a recent second factor.
      await page.getByLabel('Code from your authenticator').fill(rightCode);
      await page.locator('#activate-form button[type=submit]').click();
      await page.locator('#codes-saved').click();
      await page.locator('#status-turned-on', { hasText: 'Yes' }).waitFor();
      await page.getByLabel('Account password').fill(password);
      await expectErrorNextTo(page, '#toggle-form', await submitFromTop(page, '#toggle-form', '/principal/mfa'));
      await page.locator('#remove-start').click();
      await page.getByLabel('Your password').fill('not-the-password');
      await expectErrorNextTo(page, '#remove-form', await submitFromTop(page, '#remove-form', '/mfa/device'));

      // The audit log once the session has expired: the error and the way back sit by the button.
      clock.advance(31 * 60_000);
      await expectErrorNextTo(page, '#panel-activity', await submitFromTop(page, '#open-audit', '/mfa/audit'));
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-signin', 'focus is on the way back to sign-in');

      assert.deepEqual(await ui.browser.violations(), [], 'no Content-Security-Policy violations');
      assert.deepEqual(ui.browser.consoleErrors, []);
    });
  }

  it('clears an error on the next attempt', async () => {
    const { page } = ui.browser;
    await page.goto(`${ui.server.baseUrl}/mfa`);
    await page.getByLabel('API token').fill('not-a-token');
    await page.locator('#signin-form button[type=submit]').click();
    const region = page.locator('#signin-error');
    await region.locator('.error-message').waitFor({ state: 'visible' });
    await page.locator('#signin-form button[type=submit]').click();
    await region.locator('.error-message', { hasText: 'Paste an API token to sign in.' }).waitFor({ state: 'visible' });
    assert.equal(await region.locator('.error-message').count(), 1, 'only the newest error is shown');
    assert.equal(await page.getByLabel('API token').getAttribute('aria-invalid'), 'true');
  });
});
