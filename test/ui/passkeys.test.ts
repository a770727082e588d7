// The /mfa page with a passkey in headless Chromium and a virtual authenticator (Chrome DevTools Protocol
// WebAuthn domain): register a passkey, sign out, sign in with it as the second factor, remove it.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { claimsOf } from '../mfa/support.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type BrowserSession, openBrowser } from './browser.js';

/** A port free now, so the WebAuthn origin can name it before the server listens. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('passkeys on the /mfa page with a virtual authenticator', () => {
  let server: TestServer;
  let browser: BrowserSession;
  let origin: string;
  before(async () => {
    const port = await freePort();
    // Browsers refuse an IP address as RP id: the page is opened at localhost, as in development.
    origin = `http://localhost:${port}`;
    server = await startTestServer({ port, config: { webauthnRpId: 'localhost', webauthnOrigin: origin } });
    browser = await openBrowser(origin);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('registers a passkey, signs in with it as the second factor, and removes it', async () => {
    const { page, context } = browser;
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    const { user, apiToken } = await server.createUser('passkey-browser-user');

    await page.goto(`${origin}/mfa`);
    await page.getByLabel('API token').fill(apiToken);
    await page.locator('#signin-form button[type=submit]').click();
    await page.locator('#view-dashboard').waitFor({ state: 'visible' });
    await page.locator('#panel-authenticators').waitFor({ state: 'visible' });

    await page.getByLabel('Passkey or security key name').fill('Virtual key');
    await page.locator('#passkey-form button[type=submit]').click();
    await page.locator('#view-recovery').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#recovery-codes li').count(), 10, 'the first authenticator brings recovery codes');
    await page.locator('#codes-saved').click();
    await page.locator('#view-dashboard').waitFor({ state: 'visible' });
    await page.locator('#authenticator-list li', { hasText: 'Virtual key' }).waitFor();
    assert.equal(await page.locator('#status-device').textContent(), 'Virtual key');
    assert.equal(await page.locator('#status-turned-on').textContent(), 'Yes');
    // A passkey-only principal is not told about a passcode it has no device for.
    await page.locator('#status-summary', { hasText: 'needs one of your passkeys' }).waitFor();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);

    // MFA is on now: signing in needs the passkey.
    await page.locator('#sign-out').click();
    await page.locator('#view-signin').waitFor({ state: 'visible' });
    await page.getByLabel('API token').fill(apiToken);
    const grant = page.waitForResponse((r) => r.url().endsWith('/api-tokens/authorize') && r.request().method() === 'POST');
    await page.locator('#signin-passkey').click();
    const answer = await grant;
    assert.equal(answer.status(), 200);
    assert.deepEqual(claimsOf((await answer.json()).access_token).amr, ['hwk']);
    await page.locator('#view-dashboard').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#status-username').textContent(), user.username);

    // Remove it, confirmed by the passkey itself (step-up).
    await page.locator('#authenticator-list li', { hasText: 'Virtual key' }).getByRole('button', { name: 'Remove Virtual key' }).click();
    await page.locator('#authenticators-empty').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#authenticator-list li').count(), 0);
    assert.equal(await page.locator('#status-turned-on').textContent(), 'No');

    assert.deepEqual(await browser.violations(), [], 'the strict CSP holds');
    assert.deepEqual(browser.consoleErrors, []);
    assert.deepEqual(browser.foreignRequests, [], 'no CDN');
  });

  it('shows a refused passkey sign-in next to the sign-in form, announced', async () => {
    const { page } = browser;
    const { apiToken } = await server.createUser('no-passkey-user');
    await page.goto(`${origin}/mfa`);
    await page.getByLabel('API token').fill(apiToken);
    await page.locator('#signin-passkey').click();
    const region = page.locator('#signin-error');
    await region.getByText('No passkey is registered for this principal.').waitFor();
    assert.equal(await region.getAttribute('role'), 'alert');
  });
});
