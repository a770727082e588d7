// principal-mfa users import: a generated file of 20,000 lines with bad lines among them, imported
// once and again (idempotent), bad lines reported by number, progress only on a terminal.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import { hashPassword } from '../../src/principals/passwords.js';
import { createUser, findUserByUsername } from '../../src/principals/users.js';
import { systemClock } from '../../src/clock.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { kyselyOf } from '../../src/storage/internal.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], options: { tty?: boolean } = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), options.tty ? { isTTY: true } : {});
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await runCli(args, { stdout, stderr, stdin: new PassThrough(), env: {} });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

const LINES = 20_000;
/** Line numbers (1-based) that are bad, with the reason each should give. */
const BAD: Record<number, RegExp> = {
  7: /not valid JSON/,
  1500: /username/,
  9999: /passwordHash/,
  12000: /unknown field "password"/,
  19999: /not a JSON object/,
};

describe('users import', () => {
  let testStore: TestStore;
  let dir: string;
  let file: string;
  let hash: string;
  const valid = LINES - Object.keys(BAD).length - 1; // line 3 is blank

  before(async () => {
    testStore = await createTestStore();
    dir = mkdtempSync(join(tmpdir(), 'pmfa-import-'));
    file = join(dir, 'users.jsonl');
    hash = await hashPassword('imported-password');
    // One user exists before the import, with another org: the import must leave it as it is.
    await createUser(testStore.store, systemClock, { username: 'bulk5', orgId: 'before' });
    const bad: Record<number, string> = {
      7: '{"username": "bulk7"',
      1500: '{"username": "has space"}',
      9999: '{"username":"bulk9999","passwordHash":"plain"}',
      12000: '{"username":"bulk12000","password":"secret"}',
      19999: '["bulk19999"]',
    };
    const lines: string[] = [];
    for (let n = 1; n <= LINES; n++) {
      if (n === 3) lines.push('');
      else lines.push(bad[n] ?? JSON.stringify(n % 100 === 0 ? { username: `bulk${n}`, org: 'acme', passwordHash: hash } : { username: `bulk${n}` }));
    }
    writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  });
  after(async () => {
    await testStore.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports every good line, reports each bad one by line number, and exits non-zero', async () => {
    const run = await cli(['users', 'import', '--file', file, '--database', testStore.url, '--json']);
    assert.equal(run.code, 2);
    const summary = JSON.parse(run.stdout);
    assert.deepEqual({ ...summary, seconds: 0 }, { file, lines: LINES, imported: valid - 1, existing: 1, invalid: 5, seconds: 0 });
    const reported = run.stderr.split('\n').filter((l) => l.startsWith('line '));
    assert.equal(reported.length, 5);
    for (const [n, reason] of Object.entries(BAD)) {
      const message = reported.find((l) => l.startsWith(`line ${n}: `));
      assert.ok(message, `line ${n} reported`);
      assert.match(message, reason);
    }
    assert.doesNotMatch(run.stderr, /lines\/s/, 'no progress when stderr is not a terminal');

    const withHash = await findUserByUsername(testStore.store, 'bulk200');
    assert.deepEqual([withHash?.orgId, withHash?.passwordHash, withHash?.enabled], ['acme', hash, true]);
    assert.match(withHash?.id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a time-ordered UUID');
    const plain = await findUserByUsername(testStore.store, 'bulk201');
    assert.deepEqual([plain?.orgId, plain?.passwordHash], ['default', null]);
    assert.equal((await findUserByUsername(testStore.store, 'bulk5'))?.orgId, 'before', 'an existing user is unchanged');
    const { count } = await kyselyOf(testStore.store)
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(count), valid);
  });

  it('changes nothing when run again', async () => {
    const before = await kyselyOf(testStore.store)
      .selectFrom('users')
      .select(['id', 'username', 'org_id', 'password_hash', 'created_at'])
      .orderBy('username')
      .execute();
    const run = await cli(['users', 'import', '--file', file, '--database', testStore.url, '--json']);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.imported, 0);
    assert.equal(summary.existing, valid);
    const afterRows = await kyselyOf(testStore.store)
      .selectFrom('users')
      .select(['id', 'username', 'org_id', 'password_hash', 'created_at'])
      .orderBy('username')
      .execute();
    assert.deepEqual(afterRows, before);
  });

  it('shows count, rate and ETA on stderr when stderr is a terminal, and a human summary on stdout', async () => {
    const small = join(dir, 'small.jsonl');
    writeFileSync(small, '{"username":"tty1"}\n{"username":"tty2"}\n');
    const run = await cli(['users', 'import', '--file', small, '--database', testStore.url], { tty: true });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /2 lines \(100%\), [\d,]+ lines\/s, ETA \d+s/);
    assert.match(run.stdout, /^imported 2 users, 0 already existed, 0 bad lines/);
  });

  it('refuses a missing file with one line on stderr', async () => {
    const run = await cli(['users', 'import', '--file', join(dir, 'nope.jsonl'), '--database', testStore.url]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot read --file .*nope\.jsonl: ENOENT/);
    assert.equal(run.stdout, '');
  });
});
