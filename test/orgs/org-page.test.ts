// The /mfa page for organizations in headless Chromium: the policy banner leads into enrolment, and an org
// admin's Organization tab shows coverage, lists principals with a filter and unlocks one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setOrgPolicy } from '../../src/orgs/policy-store.js';
import { codeFor, enrol, exchangeRaw, stepAlignedMs, wrongCodeFor } from '../mfa/support.js';
import { TestClock } from '../support/server.js';
import { useServerAndBrowser } from '../ui/browser.js';
import { REQUIRE_EXCHANGE, setRole } from './support.js';

describe('the /mfa page for organizations', () => {
  const clock = new TestClock(stepAlignedMs());
  const ui = useServerAndBrowser({ clock, config: { lockoutThreshold: 2 } });

  async function signIn(apiToken: string, passcode?: string): Promise<void> {
    const { page } = ui.browser;
    await page.goto(`${ui.server.baseUrl}/mfa`);
    await page.getByLabel('API token').fill(apiToken);
    if (passcode !== undefined) await page.getByLabel('Passcode (if MFA is on)').fill(passcode);
    await page.locator('#signin-form button[type=submit]').click();
    await page.locator('#view-dashboard').waitFor({ state: 'visible' });
  }

  it('shows a principal without MFA the deadline and leads straight into enrolment', async () => {
    const { page } = ui.browser;
    const { apiToken } = await ui.server.createUser('banner-user', { orgId: 'banner-org' });
    await setOrgPolicy(ui.server.services.store, clock, 'banner-org', { ...REQUIRE_EXCHANGE, gracePeriodDays: 7 } as never, 'admin');
    await signIn(apiToken);
    await page.locator('#policy-banner').waitFor({ state: 'visible' });
    assert.match((await page.locator('#policy-banner-text').textContent()) ?? '', /requires MFA\. Set up an authenticator before/);
    assert.equal(await page.locator('#panel-org').isHidden(), true, 'a member has no Organization tab');
    await page.locator('#policy-enrol').click();
    await page.locator('#view-enrol').waitFor({ state: 'visible' });
  });

  it('gives an org admin the Organization tab: coverage, a filtered list, and unlock', async () => {
    const { page } = ui.browser;
    const victim = await enrol(ui.server, clock);
    for (let i = 0; i < 2; i++) await exchangeRaw(ui.server, victim.apiToken, wrongCodeFor(victim.secret, clock));
    const admin = await enrol(ui.server, clock);
    const adminUser = await ui.server.services.store.principals.findById(admin.userId);
    await setRole(ui.server, adminUser!, 'org_admin');
    await signIn(admin.apiToken, codeFor(admin.secret, clock));

    await page.locator('#open-org').click();
    await page.locator('#view-org').waitFor({ state: 'visible' });
    assert.match((await page.locator('#org-coverage').textContent()) ?? '', /% of \d+ principals have MFA on/);
    await page.locator('#org-filter').selectOption('locked');
    await page.locator('#org-filter-form button[type=submit]').click();
    // The unfiltered list also shows the victim: wait for the filtered answer (one row) rather than for its name.
    await page.waitForFunction(() => document.querySelectorAll('#org-rows tr').length === 1);
    assert.equal(await page.locator('#org-rows tr', { hasText: victim.username }).count(), 1);

    await page.locator('#org-target').fill(victim.username);
    await page.locator('#org-unlock').click();
    await page.locator('#org-rows tr').first().waitFor({ state: 'detached' });
    const status = await ui.server.services.store.orgPrincipals.findByUsername('default', victim.username, 'local');
    assert.ok(status && status.activatedAt !== null, 'the device is kept');
    assert.ok(status.lockedUntil === null || status.lockedUntil <= clock.now(), 'unlocked');
  });
});
