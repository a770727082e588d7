// The short form of `npm run test:crash`: the real server SIGKILLed at seeded random moments while clients
// activate devices, spend recovery codes and fail passcodes, and while `keys rotate` and `users import` run
// (and are sometimes killed themselves); every invariant checked after each restart.
// On the store under test (SQLite file, or a PostgreSQL database of its own when npm test's second run sets
// PRINCIPAL_MFA_TEST_DATABASE_URL).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCrashConsistency } from '../../reliability/crash.js';
import { createPostgresDatabase } from '../support/postgres.js';

/** Seeds that once found a defect stay here as regression cases (see docs/reliability.md). */
const SEEDS = [20261201];
const KILLS = 4;

describe('crash consistency under SIGKILL (short form)', () => {
  let dir: string;
  let databaseUrl: string;
  let drop: (() => Promise<void>) | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pmfa-crash-'));
    const pgServer = process.env.PRINCIPAL_MFA_TEST_DATABASE_URL;
    if (pgServer) ({ url: databaseUrl, drop } = await createPostgresDatabase(pgServer));
    else databaseUrl = `sqlite:${join(dir, 'crash.db')}`;
  });
  after(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${KILLS} kills, every invariant holds after each restart`, async () => {
      // Half the rounds run each admin command (a quarter in the long form), so that four kills see both.
      const report = await runCrashConsistency({ databaseUrl, dir, seed, kills: KILLS, adminShare: 0.5 });
      assert.deepEqual(report.violations, []);
      assert.equal(report.kills, KILLS);
      // The kills must land while work is going on, or the run proved nothing.
      assert.ok(report.acknowledged.activations > 0, JSON.stringify(report));
      assert.ok(report.checked.replays > 0, JSON.stringify(report));
      assert.ok(report.checked.rotations > 0 && report.checked.imports > 0, JSON.stringify(report));
    });
  }
});
