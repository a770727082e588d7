// The short form of `npm run fuzz`: a few thousand seeded requests, generated from the OpenAPI document the
// running server serves, over real HTTP, with and without valid tokens. No 5xx, every answer inside the document.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_DOCS_PATH } from '../../src/paths.js';
import { describeFailure, fuzzServer, type FuzzCredentials } from '../../reliability/fuzz.js';
import { fuzzCredentials } from '../../reliability/fuzz-setup.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Seeds that once found a defect stay here as regression cases (see docs/reliability.md). */
const SEEDS = [20261201];
const REQUESTS_PER_SEED = 2000;
const LOG = process.env.PRINCIPAL_MFA_FUZZ_LOG === '1';

describe('HTTP fuzzing from the OpenAPI document (short form)', () => {
  let server: TestServer;
  let doc: any;
  let credentials: FuzzCredentials;

  before(async () => {
    server = await startTestServer();
    doc = await (await fetch(`${server.baseUrl}${API_DOCS_PATH}`)).json();
    credentials = await fuzzCredentials(server);
  });
  after(() => server.close());

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${REQUESTS_PER_SEED} requests, no 5xx, every answer documented, the server still serves`, async () => {
      const report = await fuzzServer({ baseUrl: server.baseUrl, doc, credentials, seed, count: REQUESTS_PER_SEED });
      if (LOG) console.log(JSON.stringify(report.byStatus));
      assert.equal(report.requests, REQUESTS_PER_SEED);
      assert.deepEqual(report.failures.slice(0, 5).map(describeFailure), []);
      // Some answers must be successes, or the generator only exercised the refusals.
      const successes = Object.entries(report.byStatus)
        .filter(([s]) => Number(s) < 300)
        .reduce((n, [, c]) => n + c, 0);
      assert.ok(successes > 0, JSON.stringify(report.byStatus));
      const health = await fetch(`${server.baseUrl}${API_DOCS_PATH}`);
      assert.equal(health.status, 200);
    });
  }
});
