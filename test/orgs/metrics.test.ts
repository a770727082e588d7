// The organization gauges on GET /metrics: coverage per organization and principals locked now, read at scrape time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CACHE_MS } from '../../src/metrics/org-gauges.js';
import { codeFor, enrol, exchangeRaw, stepAlignedMs, wrongCodeFor } from '../mfa/support.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';

function gauge(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the organization gauges', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock, config: { lockoutThreshold: 2 } });
  });
  after(() => server.close());
  const scrape = async () => (await fetch(`${server.baseUrl}/metrics`)).text();

  it('shows the share of principals with MFA on per organization, and principals locked now', async () => {
    const enrolled = await enrol(server, clock); // in the default org
    await server.accessTokenFor(); // a second default-org principal, without MFA
    await server.createUser('g1', { orgId: 'gauge-org' });
    const first = await scrape();
    assert.equal(gauge(first, 'principal_mfa_org_coverage_ratio{org="default"}'), 0.5);
    assert.equal(gauge(first, 'principal_mfa_org_coverage_ratio{org="gauge-org"}'), 0);
    assert.equal(gauge(first, 'principal_mfa_principals_locked'), 0);

    for (let i = 0; i < 2; i++) await exchangeRaw(server, enrolled.apiToken, wrongCodeFor(enrolled.secret, clock));
    assert.equal((await exchangeRaw(server, enrolled.apiToken, codeFor(enrolled.secret, clock))).status, 429);
    // Inside the cache window the last read is shown again; after it, the store is read anew.
    assert.equal(gauge(await scrape(), 'principal_mfa_principals_locked'), 0);
    clock.advance(CACHE_MS);
    assert.equal(gauge(await scrape(), 'principal_mfa_principals_locked'), 1);
  });
});
