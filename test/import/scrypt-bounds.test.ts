// Stored scrypt parameters are bounded: `users import` refuses a hash whose parameters would cost gigabytes
// or seconds per check, and a password check never runs such parameters, whatever the store holds.
import assert from 'node:assert/strict';
import { randomBytes, scrypt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import { verifyPassword } from '../../src/principals/passwords.js';
import { findUserByUsername } from '../../src/principals/users.js';
import { codeFor, MFA, postJson, stepAlignedMs } from '../mfa/support.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { kyselyOf } from '../../src/storage/internal.js';

const SALT = 'c2FsdHNhbHRzYWx0c2FsdA';
const KEY = 'A'.repeat(43);
/** A hash line in the service's format; the key need not match anything for the import's format check. */
const hashWith = (logN: number, r: number, p: number) => `scrypt$${logN}$${r}$${p}$${SALT}$${KEY}`;

/** A real scrypt hash of `password` under the given parameters (what another system could have exported). */
function realHash(password: string, logN: number, r: number, p: number): Promise<string> {
  const salt = randomBytes(16);
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, 32, { N: 2 ** logN, r, p, maxmem: 512 * 2 ** logN * r }, (error, key) =>
      error ? reject(error) : resolve(`scrypt$${logN}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`),
    ),
  );
}

describe('scrypt parameter bounds', () => {
  let server: TestServer;
  let dir: string;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
    dir = mkdtempSync(join(tmpdir(), 'pmfa-scrypt-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finding 8.16: users import refuses scrypt parameters beyond the maxima, reported by line number, and keeps the rest', async () => {
    // [logN, r, p, accepted]: the maxima are log2 N ≤ 20, r ≤ 16, p ≤ 16 and N·r·p ≤ 2^20 (128 MiB, one OWASP-sized hash).
    const cases: [number, number, number, boolean][] = [
      [20, 99, 99, false], // 12 GiB and 99 passes: the reported line
      [14, 1, 99, false], // little memory, but 99 passes of work
      [18, 8, 1, false], // 256 MiB
      [16, 16, 2, false],
      [15, 17, 1, false], // r above 16
      [15, 8, 1, true], // what `users create` stores
      [17, 8, 1, true], // OWASP's recommendation, at the bound
      [20, 1, 1, true],
      [16, 16, 1, true],
      [15, 8, 4, true],
    ];
    const file = join(dir, 'bounds.jsonl');
    writeFileSync(file, cases.map(([logN, r, p], i) => JSON.stringify({ username: `bounded${i + 1}`, passwordHash: hashWith(logN, r, p) })).join('\n'));
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stderr.on('data', (c: Buffer) => err.push(c));
    stdout.resume();
    const code = await runCli(['users', 'import', '--file', file, '--database', server.testStore.url], { stdout, stderr, stdin: new PassThrough(), env: {} });
    assert.equal(code, 2);
    const reported = Buffer.concat(err)
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('line '));
    const refusedLines = cases.flatMap(([, , , accepted], i) => (accepted ? [] : [i + 1]));
    assert.deepEqual(
      reported.map((l) => Number(/^line (\d+):/.exec(l)?.[1])),
      refusedLines,
    );
    for (const line of reported) assert.match(line, /scrypt parameters/);
    for (const [i, [, , , accepted]] of cases.entries()) {
      assert.equal((await findUserByUsername(server.services.store, `bounded${i + 1}`)) !== undefined, accepted, `line ${i + 1}`);
    }
  });

  it('finding 8.16: a password check never runs parameters beyond the maxima, even for a hash already in the store', async () => {
    const overBound = await realHash('correct horse battery', 14, 1, 99);
    assert.equal(await verifyPassword('correct horse battery', overBound), false);
    assert.equal(await verifyPassword('correct horse battery', await realHash('correct horse battery', 15, 8, 1)), true);

    // Over HTTP: a principal whose stored hash is over the bound cannot confirm an MFA change with it.
    const { accessToken, user } = await server.accessTokenFor();
    await kyselyOf(server.services.store).updateTable('users').set({ password_hash: overBound }).where('id', '=', user.id).execute();
    const registered = await postJson(server, `${MFA}/device`, accessToken, { deviceName: 'phone' });
    const activated = await postJson(server, `${MFA}/device/activate`, accessToken, { passcode: codeFor(registered.body.secret, clock) });
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    const patched = await postJson(server, MFA, accessToken, { password: 'correct horse battery', turnedOn: true }, 'PATCH');
    assert.equal(patched.status, 403, JSON.stringify(patched.body));
    assert.equal(patched.body.errorCode, 'wrong_password');
  });
});
