// `npm run test:crash -- [--kills N] [--seed S] [--store sqlite|postgres] [--out FILE]`: the long form of
// test/reliability/crash.test.ts. PostgreSQL uses a database of its own on PRINCIPAL_MFA_TEST_DATABASE_URL's
// server (default the test server of scripts/test-servers.sh), dropped at the end. Exits 1 on any violation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCrashConsistency } from './crash.js';
import { createPostgresDatabase } from '../test/support/postgres.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '200' },
    seed: { type: 'string', default: '20261201' },
    store: { type: 'string', default: 'sqlite' },
    out: { type: 'string' },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'pmfa-crash-'));
let databaseUrl = `sqlite:${join(dir, 'crash.db')}`;
let drop: (() => Promise<void>) | undefined;
if (values.store === 'postgres') {
  ({ url: databaseUrl, drop } = await createPostgresDatabase(process.env.PRINCIPAL_MFA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres'));
}
const started = Date.now();
try {
  const report = await runCrashConsistency({
    databaseUrl,
    dir,
    seed: Number(values.seed),
    kills: Number(values.kills),
    onRound: (round, r) => {
      process.stderr.write(`crash: kill ${round + 1}/${values.kills}, violations ${r.violations.length}\n`);
      // The figures so far, so that a run cut short still shows what it survived.
      if (values.out) writeFileSync(values.out, JSON.stringify({ ...r, seconds: Math.round((Date.now() - started) / 1000), finished: false }, null, 2));
    },
  });
  const summary = { ...report, seconds: Math.round((Date.now() - started) / 1000), finished: true };
  console.log(JSON.stringify(summary, null, 2));
  if (values.out) writeFileSync(values.out, JSON.stringify(summary, null, 2));
  process.exitCode = report.violations.length === 0 ? 0 : 1;
} finally {
  await drop?.();
  rmSync(dir, { recursive: true, force: true });
}
