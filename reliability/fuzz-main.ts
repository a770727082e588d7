// `npm run fuzz -- [--requests N] [--seed S] [--concurrency C]`: the long form of test/reliability/fuzz.test.ts.
// The store is SQLite, or PostgreSQL (+ Redis limits) when PRINCIPAL_MFA_TEST_DATABASE_URL (and
// PRINCIPAL_MFA_TEST_REDIS_URL) are set, as in `npm test`. Prints a JSON report; exits 1 on any finding
// or when resident memory grew by more than 25 % between the end of warm-up (the first fifth, at least
// 20,000 requests) and the end.
import { parseArgs } from 'node:util';
import { writeFileSync, mkdirSync } from 'node:fs';
import { API_DOCS_PATH } from '../src/paths.js';
import { describeFailure, fuzzServer } from './fuzz.js';
import { fuzzCredentials } from './fuzz-setup.js';
import { startTestServer } from '../test/support/server.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '20261201' },
    concurrency: { type: 'string', default: '8' },
    out: { type: 'string' },
  },
});
const count = Number(values.requests);
const seed = Number(values.seed);
const store = process.env.PRINCIPAL_MFA_TEST_DATABASE_URL ? 'postgres+redis' : 'sqlite';

const server = await startTestServer();
const doc = await (await fetch(`${server.baseUrl}${API_DOCS_PATH}`)).json();
const credentials = await fuzzCredentials(server);
const started = Date.now();
let warmRss = 0;
const rssSamples: { requests: number; rssMb: number }[] = [];
const report = await fuzzServer({
  baseUrl: server.baseUrl,
  doc,
  credentials,
  seed,
  count,
  concurrency: Number(values.concurrency),
  onProgress(done) {
    const rss = process.memoryUsage().rss;
    if (done % 5000 === 0 || done === count) {
      rssSamples.push({ requests: done, rssMb: Math.round(rss / 2 ** 20) });
      process.stderr.write(`fuzz: ${done}/${count} requests, rss ${Math.round(rss / 2 ** 20)} MB\n`);
    }
    // Warm-up: the first fifth, and at least 20,000 requests (the plateau of the runs in docs/reliability.md).
    if (!warmRss && done >= Math.min(count, Math.max(count / 5, 20_000))) warmRss = rss;
  },
});
const endRss = process.memoryUsage().rss;
await server.close();
const rssGrowth = warmRss ? (endRss - warmRss) / warmRss : 0;
const summary = {
  store,
  seed,
  requests: report.requests,
  operations: report.operations,
  seconds: Math.round((Date.now() - started) / 1000),
  byStatus: report.byStatus,
  failures: report.failures.length,
  firstFailures: report.failures.slice(0, 10).map(describeFailure),
  rssWarmMb: Math.round(warmRss / 2 ** 20),
  rssEndMb: Math.round(endRss / 2 ** 20),
  rssGrowthPercent: Math.round(rssGrowth * 1000) / 10,
  rssSamples,
};
console.log(JSON.stringify(summary, null, 2));
if (values.out) {
  mkdirSync(new URL('.', `file://${values.out}`).pathname, { recursive: true });
  writeFileSync(values.out, JSON.stringify(summary, null, 2));
}
process.exit(report.failures.length === 0 && rssGrowth < 0.25 ? 0 : 1);
