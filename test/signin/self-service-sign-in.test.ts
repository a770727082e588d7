// Issue 11, item 6: the self-service page /mfa signs people in through the sign-in pages, as the built-in
// public client with PKCE; pasting an API token stays as the advanced option.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { codeFor, enrol } from '../mfa/support.js';
import { type SignInWorld, startSignInWorld, submitPasscode, submitPassword } from './support.js';

describe('the self-service page signs in through the sign-in pages', () => {
  let world: SignInWorld;
  before(async () => {
    world = await startSignInWorld();
  });
  after(async () => world?.close());

  it('issue 11: Sign in → password → passcode → back on /mfa with the dashboard, the code gone from the address', async () => {
    const { page } = world;
    const person = await enrol(world.server, world.clock);
    await page.goto(`${world.server.baseUrl}/mfa`);
    await Promise.all([page.waitForURL((url) => url.pathname === '/csp/gateway/signin'), page.click('#page-sign-in')]);
    assert.match(await page.locator('.application').innerText(), /MFA self-service/);
    await submitPassword(page, person.username, person.password);
    await submitPasscode(page, codeFor(person.secret, world.clock));
    await page.locator('#view-dashboard').waitFor({ state: 'visible' });
    assert.equal(page.url(), `${world.server.baseUrl}/mfa`, 'no code or state left in the address');
    assert.match(await page.locator('#view-dashboard').innerText(), /Your MFA settings/);
    assert.deepEqual(await world.browser.violations(), []);
    assert.deepEqual(world.browser.consoleErrors, []);
    assert.deepEqual(world.browser.foreignRequests, []);
  });

  it('issue 11: an answer that this tab did not ask for is refused on the page', async () => {
    const { page } = world;
    await page.goto(`${world.server.baseUrl}/mfa?code=pmfa_ac_forged&state=forged`);
    await page.locator('#view-signin [role="alert"]:not(:empty), #error:not(:empty)').first().waitFor({ state: 'visible' });
    assert.equal(await page.locator('#view-dashboard').isVisible(), false);
  });
});
