// The self-service page at /mfa in headless Chromium: sign in with an API token, enrol a device with a
// code computed from the manual key, see the recovery codes, sign out, sign in again with a passcode.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { base32Decode, timeStep, totpAt } from '../../src/mfa/totp.js';
import { TestClock } from '../support/server.js';
import { useServerAndBrowser } from './browser.js';

// The README's screenshot is rewritten only on request, so a test run leaves the work tree clean.
const SCREENSHOT_DIR = process.env.PRINCIPAL_MFA_UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/images/', import.meta.url))
  : mkdtempSync(join(tmpdir(), 'pmfa-screens-'));

describe('self-service MFA page in a browser', () => {
  const clock = new TestClock();
  const ui = useServerAndBrowser({ clock });

  async function signIn(apiToken: string, passcode?: string): Promise<void> {
    const { page } = ui.browser;
    await page.getByLabel('API token').fill(apiToken);
    if (passcode !== undefined) await page.getByLabel('Passcode (if MFA is on)').fill(passcode);
    await page.locator('#signin-form button[type=submit]').click();
  }

  it('enrols a device end to end, then signs out and back in with a passcode', async () => {
    const { page } = ui.browser;
    const { user, apiToken } = await ui.server.createUser('browser-user');

    await page.goto(`${ui.server.baseUrl}/mfa`);
    await page.locator('#view-signin').waitFor({ state: 'visible' });
    await signIn(apiToken);
    await page.locator('#view-dashboard').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#status-username').textContent(), user.username);
    assert.equal(await page.locator('#status-activated').textContent(), 'No');
    assert.equal(await page.getByLabel('API token').inputValue(), '', 'the token is cleared from the field');

    await page.locator('#start-enrol').click();
    await page.getByLabel('Device name').fill('Work phone');
    await page.locator('#device-form button[type=submit]').click();
    await page.locator('#enrol-step-scan').waitFor({ state: 'visible' });
    await page.locator('#qr-code').waitFor({ state: 'visible' });
    const manualKey = ((await page.locator('#manual-key').textContent()) ?? '').replace(/\s+/g, '');
    assert.match(manualKey, /^[A-Z2-7]{32,}$/);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'enrolment.png'), fullPage: true });

    const secret = base32Decode(manualKey);
    await page.getByLabel('Code from your authenticator').fill(totpAt(secret, timeStep(clock.now(), 30)));
    await page.locator('#activate-form button[type=submit]').click();
    await page.locator('#view-recovery').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#recovery-codes li').count(), 10);
    await page.locator('#codes-saved').click();
    await page.locator('#view-dashboard').waitFor({ state: 'visible' });
    await page.locator('#status-activated', { hasText: 'Yes' }).waitFor();
    assert.equal(await page.locator('#status-turned-on').textContent(), 'Yes');

    await page.locator('#sign-out').click();
    await page.locator('#view-signin').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#session-bar').isVisible(), false);

    // MFA is on now: without a passcode the server's own message is shown.
    await signIn(apiToken);
    await page.locator('#signin-error', { hasText: 'MFA is turned on' }).waitFor({ state: 'visible' });
    assert.equal(await page.locator('#view-signin').isVisible(), true);

    clock.advance(30_000); // a fresh time step: the activation code may not be used again
    await signIn(apiToken, totpAt(secret, timeStep(clock.now(), 30)));
    await page.locator('#view-dashboard').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#status-username').textContent(), user.username);
    assert.equal(await page.locator('#status-device').textContent(), 'Work phone');
    assert.equal(await page.locator('#status-activated').textContent(), 'Yes');
    assert.equal(await page.locator('#status-turned-on').textContent(), 'Yes');

    assert.deepEqual(await ui.browser.violations(), [], 'no Content-Security-Policy violations');
    assert.deepEqual(ui.browser.consoleErrors, []);
    assert.deepEqual(ui.browser.foreignRequests, [], 'nothing is loaded from another origin');
  });

  it('serves the API reference at /docs offline under its strict policy', async () => {
    const { page } = ui.browser;
    await page.goto(`${ui.server.baseUrl}/docs`);
    await page.locator('.swagger-ui .info .title', { hasText: 'principal-mfa' }).waitFor({ state: 'visible' });
    await page.locator('.opblock-summary-path', { hasText: '/csp/gateway/iam/vmwid/api/principal/mfa/status' }).first().waitFor();
    assert.deepEqual(await ui.browser.violations(), [], 'no Content-Security-Policy violations');
    assert.deepEqual(ui.browser.foreignRequests, [], 'nothing is loaded from another origin');
    assert.deepEqual(ui.browser.consoleErrors, []);
  });
});
