// The admin CLI contract, by running the real bin/principal-mfa in child processes.
// bin/ runs dist/, so `npm run build` runs once first: the test exercises exactly what users run,
// never a stale build. Changes made by the CLI must show on the very next request to a running server.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { after, before, describe, it } from 'node:test';
import { base32Decode, timeStep, totpAt } from '../../src/mfa/totp.js';
import { verifyPassword } from '../../src/principals/passwords.js';
import { findUserByUsername } from '../../src/principals/users.js';
import { openStore } from '../../src/storage/database.js';
import { codeFor, MFA, postJson } from '../mfa/support.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { type Key, makeKey, OutsideIssuer } from '../tokens/outside-issuer.js';
import { kyselyOf } from '../../src/storage/internal.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'principal-mfa');
const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of the test run without anything that would choose a store or config for the CLI. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'DATABASE_URL' && !k.startsWith('PRINCIPAL_MFA_')) env[k] = v;
  return { ...env, ...extra };
}

function run(args: string[], options: { env?: Record<string, string>; stdin?: string; cwd?: string } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: cleanEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Exactly one JSON object on stdout, nothing on stderr, exit 0. */
function oneJsonObject(result: Result): Record<string, unknown> {
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.ok(result.stdout.endsWith('\n'));
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got: ${result.stdout}`);
  const value = JSON.parse(lines[0] as string);
  assert.equal(typeof value, 'object');
  assert.ok(value !== null && !Array.isArray(value));
  return value;
}

/** Non-zero exit, exactly one line on stderr, nothing on stdout. */
function oneLineFailure(result: Result, pattern?: RegExp): void {
  assert.notEqual(result.code, 0);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^principal-mfa: [^\n]+\n$/, JSON.stringify(result.stderr));
  if (pattern) assert.match(result.stderr, pattern);
}

before(() => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`);
});

describe('principal-mfa admin commands against a running server', () => {
  let server: TestServer;
  let db: string[];
  /** keys rotate needs the server's master key, from a file only its owner can read. */
  let masterKeyFile: string[];
  let keyDir: string;
  before(async () => {
    server = await startTestServer();
    db = ['--database', server.testStore.url];
    keyDir = mkdtempSync(join(tmpdir(), 'pmfa-cli-key-'));
    writeFileSync(join(keyDir, 'master.key'), server.services.masterKey.toString('hex'), { mode: 0o600 });
    masterKeyFile = ['--master-key-file', join(keyDir, 'master.key')];
  });
  after(async () => {
    await server.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const exchange = (apiToken: string) => server.exchange(apiToken);
  const status = (token: string) => server.call(STATUS, { token });

  it('users create --json prints exactly {id, username} with a UUID id, in the default org', async () => {
    const created = oneJsonObject(await run(['users', 'create', '--username', 'alice', '--json', ...db]));
    assert.deepEqual(Object.keys(created).sort(), ['id', 'username']);
    assert.match(created.id as string, UUID);
    assert.equal(created.username, 'alice');
    const token = oneJsonObject(await run(['api-tokens', 'create', '--username', 'alice', '--json', ...db]));
    assert.deepEqual(token, { apiToken: token.apiToken, username: 'alice', domain: 'local' });
    const { status: code, body } = await exchange(token.apiToken as string);
    assert.equal(code, 200);
    const claims = decodeJwt(body.access_token);
    assert.equal(claims.sub, `local:${created.id}`);
    assert.equal(claims.context, 'default');
  });

  it('users create --password-stdin stores a verifiable password hash, and --org sets the org', async () => {
    const created = oneJsonObject(
      await run(['users', 'create', '--username', 'bob', '--password-stdin', '--org', 'acme', '--json', ...db], { stdin: 'correct horse battery\n' }),
    );
    const user = await findUserByUsername(server.services.store, 'bob');
    assert.equal(user?.id, created.id);
    assert.equal(user?.orgId, 'acme');
    assert.ok(await verifyPassword('correct horse battery', user?.passwordHash ?? null));
    assert.ok(!(user?.passwordHash ?? '').includes('correct horse'));
    const token = oneJsonObject(await run(['api-tokens', 'create', '--username', 'bob', '--json', ...db]));
    assert.equal(decodeJwt((await exchange(token.apiToken as string)).body.access_token).context, 'acme');
  });

  it('disable, enable, delete and api-tokens revoke take effect on the very next request', async () => {
    oneJsonObject(await run(['users', 'create', '--username', 'carol', '--json', ...db]));
    const { apiToken } = oneJsonObject(await run(['api-tokens', 'create', '--username', 'carol', '--json', ...db])) as { apiToken: string };
    const first = await exchange(apiToken);
    assert.equal(first.status, 200);
    const accessToken = first.body.access_token as string;
    assert.equal((await status(accessToken)).status, 200);

    assert.equal((await run(['users', 'disable', '--username', 'carol', ...db])).code, 0);
    assert.equal((await status(accessToken)).status, 403);
    assert.equal((await exchange(apiToken)).status, 403);

    assert.equal((await run(['users', 'enable', '--username', 'carol', ...db])).code, 0);
    assert.equal((await status(accessToken)).status, 200);

    const revoked = await run(['api-tokens', 'revoke', '--username', 'carol', ...db]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const refused = await exchange(apiToken);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errorCode, 'invalid_grant');

    assert.equal((await run(['users', 'delete', '--username', 'carol', ...db])).code, 0);
    assert.equal((await status(accessToken)).status, 404);
  });

  it('clients create --json prints {clientId, clientSecret} that work with client credentials', async () => {
    const client = oneJsonObject(await run(['clients', 'create', '--name', 'robot', '--json', ...db]));
    assert.deepEqual(Object.keys(client).sort(), ['clientId', 'clientSecret']);
    const res = await fetch(`${server.baseUrl}/csp/gateway/am/api/auth/authorize`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    assert.equal(res.status, 200);
  });

  it('keys rotate makes the running server sign with the new key while old tokens still verify', async () => {
    oneJsonObject(await run(['users', 'create', '--username', 'dave', '--json', ...db]));
    const { apiToken } = oneJsonObject(await run(['api-tokens', 'create', '--username', 'dave', '--json', ...db])) as { apiToken: string };
    const oldToken = (await exchange(apiToken)).body.access_token as string;
    const rotated = oneJsonObject(await run(['keys', 'rotate', '--json', ...db, ...masterKeyFile]));
    assert.notEqual(rotated.kid, decodeProtectedHeader(oldToken).kid);
    const newToken = (await exchange(apiToken)).body.access_token as string;
    assert.equal(decodeProtectedHeader(newToken).kid, rotated.kid);
    assert.equal((await status(oldToken)).status, 200);
    assert.equal((await status(newToken)).status, 200);
    const human = await run(['keys', 'rotate', ...db, ...masterKeyFile]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /new signing key/);
  });

  it('finding 8.17: users set-password --password-stdin gives a user without a password one (the first line of stdin) that confirms MFA changes', async () => {
    const created = oneJsonObject(await run(['users', 'create', '--username', 'nopass', '--json', ...db]));
    assert.equal((await findUserByUsername(server.services.store, 'nopass'))?.passwordHash, null);
    const set = oneJsonObject(
      await run(['users', 'set-password', '--username', 'nopass', '--password-stdin', '--json', ...db], { stdin: 'first line password\r\nsecond line\n' }),
    );
    assert.deepEqual(set, { id: created.id, username: 'nopass' });
    const hash = (await findUserByUsername(server.services.store, 'nopass'))?.passwordHash ?? null;
    assert.ok(await verifyPassword('first line password', hash));
    assert.ok(!(await verifyPassword('second line', hash)));

    // The password now confirms an MFA change over HTTP (before, this user could only get a 403).
    const { apiToken } = oneJsonObject(await run(['api-tokens', 'create', '--username', 'nopass', '--json', ...db])) as { apiToken: string };
    const accessToken = (await exchange(apiToken)).body.access_token as string;
    const call = (path: string, method: string, body: unknown) => server.call(`${MFA}${path}`, { method, token: accessToken, body });
    const { secret } = (await (await call('/device', 'POST', { deviceName: 'phone' })).json()) as { secret: string };
    assert.equal((await call('/device/activate', 'POST', { passcode: totpAt(base32Decode(secret), timeStep(Date.now())) })).status, 200);
    assert.equal((await call('', 'PATCH', { password: 'first line password', turnedOn: true })).status, 200);

    // Setting it again replaces it.
    const human = await run(['users', 'set-password', '--username', 'nopass', '--password-stdin', ...db], { stdin: 'another good password' });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /password set for user nopass/);
    const replaced = (await findUserByUsername(server.services.store, 'nopass'))?.passwordHash ?? null;
    assert.ok(await verifyPassword('another good password', replaced));
    assert.ok(!(await verifyPassword('first line password', replaced)));
  });

  it('finding 8.17: users set-password refuses a short password, an unknown user and a missing --password-stdin, changing nothing', async () => {
    oneJsonObject(await run(['users', 'create', '--username', 'keeper', '--password-stdin', '--json', ...db], { stdin: 'the original password' }));
    const cases: [string[], RegExp, string?][] = [
      [['users', 'set-password', '--username', 'keeper', ...db], /--password-stdin/, 'a long enough password\n'],
      [['users', 'set-password', '--username', 'keeper', '--password-stdin', ...db], /at least 8/, 'short\nand a long second line\n'],
      [['users', 'set-password', '--username', 'keeper', '--password-stdin', ...db], /at least 8/, ''],
      [['users', 'set-password', '--username', 'nobody', '--password-stdin', ...db], /no user named/, 'a long enough password\n'],
      [['users', 'set-password', '--password-stdin', ...db], /--username is required/, 'a long enough password\n'],
    ];
    const results = await Promise.all(cases.map(([args, , stdin]) => run(args, { stdin })));
    results.forEach((result, i) => oneLineFailure(result, cases[i]?.[1]));
    assert.ok(await verifyPassword('the original password', (await findUserByUsername(server.services.store, 'keeper'))?.passwordHash ?? null));
  });

  it('finding 8.17: users set-password on a terminal prompts twice without echoing the password', async () => {
    oneJsonObject(await run(['users', 'create', '--username', 'ttyuser', '--json', ...db]));
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, BIN, 'users', 'set-password', '--username', 'ttyuser', '--password-stdin', ...db].map(quote).join(' ');
    // script(1) runs the command on a pseudo-terminal: stdin and stdout are a TTY for it.
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: cleanEnv() });
    let output = '';
    const waiters: { pattern: RegExp; resolve: () => void }[] = [];
    child.stdout.on('data', (c) => {
      output += c;
      for (const w of [...waiters]) if (w.pattern.test(output)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const waitFor = (pattern: RegExp) =>
      Promise.race([
        new Promise<void>((resolve) => (pattern.test(output) ? resolve() : waiters.push({ pattern, resolve }))),
        exited.then((code) => assert.fail(`exited ${code} before ${pattern}: ${JSON.stringify(output)}`)),
      ]);
    // Typed only once the prompt shows: echo is off from then on.
    await waitFor(/New password: /);
    child.stdin.write('typed on a tty\r');
    await waitFor(/Repeat it: /);
    child.stdin.write('typed on a tty\r');
    assert.equal(await exited, 0, output);
    assert.match(output, /password set for user ttyuser/);
    assert.ok(!output.includes('typed on a tty'), `the password was echoed: ${JSON.stringify(output)}`);
    assert.ok(await verifyPassword('typed on a tty', (await findUserByUsername(server.services.store, 'ttyuser'))?.passwordHash ?? null));
  });

  it('answers bad input with one line on stderr and a non-zero exit', async () => {
    oneJsonObject(await run(['users', 'create', '--username', 'erin', '--json', ...db]));
    const cases: [string[], RegExp?, string?][] = [
      [['frobnicate'], /unknown command/],
      [['users'], /usage/],
      [['users', 'create', ...db], /--username is required/],
      [['users', 'create', '--username', 'has space', ...db]],
      [['users', 'create', '--username', 'erin', ...db], /exists already/],
      [['users', 'create', '--username', 'frank', '--org', 'bad org!', ...db]],
      [['users', 'create', '--username', 'gina', '--password-stdin', ...db], /at least 8/, 'short\n'],
      [['users', 'create', '--username', 'hank', '--bogus', ...db], /bogus/],
      [['users', 'disable', '--username', 'nobody', ...db], /no user named/],
      [['users', 'explode', '--username', 'erin', ...db], /usage/],
      [['api-tokens', 'create', ...db], /--username is required/],
      [['api-tokens', 'revoke', '--username', 'nobody', ...db], /no user named/],
      [['clients', 'create', ...db], /--name is required/],
      [['keys', 'spin', ...db], /usage/],
      [['users', 'create', '--username', 'ivan', '--database', 'mysql://localhost/x']],
      [['serve', '--port', 'eighty']],
      [['serve', '--database', server.testStore.url, '--port', '0']],
    ];
    // Independent cases, run side by side to keep the suite short.
    const results = await Promise.all(cases.map(([args, , stdin]) => run(args, { stdin })));
    results.forEach((result, i) => oneLineFailure(result, cases[i]?.[1]));
    assert.equal(await findUserByUsername(server.services.store, 'hank'), undefined);
    assert.equal(await findUserByUsername(server.services.store, 'gina'), undefined);
  });
});

describe('principal-mfa admin commands on principals of a trusted outside issuer (--domain)', () => {
  const ISSUER = 'https://idp.example/realms/corp';
  const DOMAIN = 'idp.example/realms/corp';
  const outside = new OutsideIssuer(ISSUER);
  const clock = new TestClock();
  let key: Key;
  let server: TestServer;
  let db: string[];
  before(async () => {
    await outside.start();
    key = await makeKey('corp', 'RS256');
    outside.published = [key];
    server = await startTestServer({ config: { trustedIssuers: [outside.trusted()] } });
    db = ['--database', server.testStore.url];
  });
  after(async () => {
    await server.close();
    await outside.stop();
  });

  const status = async (token: string) => {
    const res = await server.call(STATUS, { token });
    return { code: res.status, body: await res.json() };
  };
  /** A local user and an outside principal of the same name, each with an access token. */
  async function twins(username: string) {
    oneJsonObject(await run(['users', 'create', '--username', username, '--json', ...db]));
    const { apiToken } = oneJsonObject(await run(['api-tokens', 'create', '--username', username, '--json', ...db])) as { apiToken: string };
    const local = (await server.exchange(apiToken)).body.access_token as string;
    clock.ms = Date.now();
    const foreign = await outside.mint(key, clock, { sub: `${username}-subject`, username });
    assert.equal((await status(foreign)).code, 200, 'the outside principal exists once it has been seen');
    return { local, foreign };
  }

  it('finding 8.3: users disable|enable|delete --domain act on the outside principal, never on the local user of that name', async () => {
    const { local, foreign } = await twins('olive');
    const disabled = oneJsonObject(await run(['users', 'disable', '--username', 'olive', '--domain', DOMAIN, '--json', ...db]));
    assert.deepEqual(Object.keys(disabled).sort(), ['action', 'domain', 'id', 'username']);
    assert.deepEqual([disabled.username, disabled.domain, disabled.action], ['olive', DOMAIN, 'disable']);
    assert.equal((await status(foreign)).code, 403);
    assert.equal((await status(local)).code, 200);
    oneJsonObject(await run(['users', 'enable', '--username', 'olive', '--domain', DOMAIN, '--json', ...db]));
    assert.equal((await status(foreign)).code, 200);
    const localDisabled = oneJsonObject(await run(['users', 'disable', '--username', 'olive', '--json', ...db]));
    assert.equal(localDisabled.domain, 'local', 'without --domain: the local user');
    assert.equal((await status(local)).code, 403);
    assert.equal((await status(foreign)).code, 200);
    const deleted = oneJsonObject(await run(['users', 'delete', '--username', 'olive', '--domain', DOMAIN, '--json', ...db]));
    assert.equal(deleted.id, disabled.id);
    assert.equal((await status(local)).code, 403, 'the local user is still there (and still disabled)');
  });

  it("finding 8.3: mfa reset --domain removes the outside principal's device and leaves the local user's", async () => {
    const { local, foreign } = await twins('piet');
    for (const token of [local, foreign]) {
      const registered = await postJson(server, `${MFA}/device`, token, { deviceName: 'phone' });
      clock.ms = Date.now();
      assert.equal((await postJson(server, `${MFA}/device/activate`, token, { passcode: codeFor(registered.body.secret, clock) })).status, 200);
    }
    const reset = oneJsonObject(await run(['mfa', 'reset', '--username', 'piet', '--domain', DOMAIN, '--json', ...db]));
    assert.deepEqual([reset.username, reset.domain, reset.removed], ['piet', DOMAIN, true]);
    assert.equal((await status(foreign)).body.activated, false);
    assert.equal((await status(local)).body.activated, true);
  });

  it('finding 8.3: api-tokens create|revoke --domain give and take API tokens of the outside principal', async () => {
    await twins('quinn');
    const created = oneJsonObject(await run(['api-tokens', 'create', '--username', 'quinn', '--domain', DOMAIN, '--json', ...db]));
    assert.deepEqual([created.username, created.domain], ['quinn', DOMAIN]);
    const exchanged = await server.exchange(created.apiToken as string);
    assert.equal(exchanged.status, 200);
    const claims = decodeJwt(exchanged.body.access_token);
    assert.deepEqual([claims.username, claims.domain], ['quinn', DOMAIN]);
    assert.match(String(claims.sub), new RegExp(`^${DOMAIN.replace(/[./]/g, '\\$&')}:`));
    const revoked = oneJsonObject(await run(['api-tokens', 'revoke', '--username', 'quinn', '--domain', DOMAIN, '--json', ...db]));
    assert.deepEqual([revoked.revoked, revoked.domain], [1, DOMAIN]);
    assert.equal((await server.exchange(created.apiToken as string)).status, 400);
  });

  it('finding 8.3: a name two outside principals share needs --subject, which picks exactly one', async () => {
    clock.ms = Date.now();
    const first = await outside.mint(key, clock, { sub: 'rosa-1', username: 'rosa' });
    const second = await outside.mint(key, clock, { sub: 'rosa-2', username: 'rosa' });
    assert.equal((await status(first)).code, 200);
    assert.equal((await status(second)).code, 200);
    oneLineFailure(
      await run(['users', 'disable', '--username', 'rosa', '--domain', DOMAIN, ...db]),
      /2 principals in domain idp\.example\/realms\/corp are named "rosa".*--subject.*rosa-1.*rosa-2/,
    );
    const picked = oneJsonObject(await run(['users', 'disable', '--subject', 'rosa-2', '--domain', DOMAIN, '--json', ...db]));
    assert.deepEqual([picked.username, picked.domain], ['rosa', DOMAIN]);
    assert.equal((await status(first)).code, 200);
    assert.equal((await status(second)).code, 403);
    oneLineFailure(
      await run(['users', 'disable', '--username', 'rosa', '--domain', 'nowhere.example', ...db]),
      /no user named "rosa" in domain nowhere\.example/,
    );
    oneLineFailure(await run(['users', 'disable', '--username', 'rosa', '--subject', 'rosa-1', '--domain', DOMAIN, ...db]), /either --username or --subject/);
  });
});

describe('principal-mfa --database and DATABASE_URL', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pmfa-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function usernamesIn(url: string): Promise<string[]> {
    const store = await openStore(url);
    try {
      return (await kyselyOf(store).selectFrom('users').select('username').execute()).map((r) => r.username).sort();
    } finally {
      await store.close();
    }
  }

  it('uses DATABASE_URL, lets --database win over it, and defaults to ./data/principal-mfa.db, creating and migrating the store', async () => {
    const envUrl = `sqlite:${join(dir, 'env', 'store.db')}`;
    const flagUrl = `sqlite:${join(dir, 'flag', 'store.db')}`;
    assert.equal((await run(['users', 'create', '--username', 'from-env'], { env: { DATABASE_URL: envUrl } })).code, 0);
    assert.equal((await run(['users', 'create', '--username', 'from-flag', '--database', flagUrl], { env: { DATABASE_URL: envUrl } })).code, 0);
    assert.deepEqual(await usernamesIn(envUrl), ['from-env']);
    assert.deepEqual(await usernamesIn(flagUrl), ['from-flag']);

    const cwd = join(dir, 'fresh');
    rmSync(cwd, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(cwd);
    const created = await run(['users', 'create', '--username', 'by-default', '--json'], { cwd });
    oneJsonObject(created);
    assert.ok(existsSync(join(cwd, 'data', 'principal-mfa.db')));
    assert.deepEqual(await usernamesIn(`sqlite:${join(cwd, 'data', 'principal-mfa.db')}`), ['by-default']);
  });
});

describe('principal-mfa serve', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pmfa-serve-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts `serve`, waits for the listening log line, returns the base URL and the child. */
  async function serve(args: string[], untilStderr?: RegExp) {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { cwd: dir, env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const ready = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stdout}\n${stderr}`)), 20_000);
      const check = () => {
        const line = stdout.split('\n').find((l) => l.includes('principal-mfa listening'));
        if (line && (!untilStderr || untilStderr.test(stderr))) {
          clearTimeout(timer);
          resolve(JSON.parse(line).address as string);
        }
      };
      child.stdout.on('data', (c) => ((stdout += c), check()));
      child.stderr.on('data', (c) => ((stderr += c), check()));
      child.on('close', () => reject(new Error(`serve exited early:\n${stdout}\n${stderr}`)));
    });
    const address = await ready;
    return { baseUrl: address.replace('localhost', '127.0.0.1'), child, exited, output: () => ({ stdout, stderr }) };
  }

  it('serve --dev prints a quickstart whose curl commands, pasted into a shell, answer 200; SIGTERM exits 0', async () => {
    const url = `sqlite:${join(dir, 'dev.db')}`;
    const server = await serve(['--dev', '--database', url], /mfa\/status -H/);
    try {
      assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      const { stderr, stdout } = server.output();
      const lines = stderr.split('\n');
      const start = lines.findIndex((l) => l.trim().startsWith('API_TOKEN='));
      const end = lines.findIndex((l) => l.includes('mfa/status -H'));
      assert.ok(start >= 0 && end > start, stderr);
      const script = `set -e\n${lines.slice(start, end + 1).join('\n')}\n`;
      const pasted = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(pasted.status, 0, pasted.stderr);
      assert.deepEqual(JSON.parse(pasted.stdout), { activated: false, turnedOn: false, username: 'demo' });
      // The API token is printed once for the developer, never into the structured logs.
      const apiToken = (lines[start] as string).trim().slice('API_TOKEN='.length);
      assert.ok(!stdout.includes(apiToken));
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited, 0);
  });

  it('serve --dev on a store that already has the demo user prints commands that still work when pasted', async () => {
    const url = `sqlite:${join(dir, 'dev-again.db')}`;
    for (let round = 0; round < 2; round++) {
      const server = await serve(['--dev', '--database', url], /mfa\/status -H/);
      try {
        const lines = server.output().stderr.split('\n');
        const start = lines.findIndex((l) => l.trim().startsWith('API_TOKEN='));
        const end = lines.findIndex((l) => l.includes('mfa/status -H'));
        assert.ok(start >= 0 && end > start, server.output().stderr);
        // Pasted where a newcomer types `npm start`: the repository root.
        const pasted = spawnSync('bash', ['-c', `set -e\n${lines.slice(start, end + 1).join('\n')}\n`], {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 30_000,
          env: cleanEnv(),
        });
        assert.equal(pasted.status, 0, `round ${round}: ${pasted.stderr}`);
        assert.deepEqual(JSON.parse(pasted.stdout), { activated: false, turnedOn: false, username: 'demo' });
      } finally {
        server.child.kill('SIGTERM');
      }
      assert.equal(await server.exited, 0);
    }
  });

  it('serve without --dev creates no demo data and prints no quickstart', async () => {
    const url = `sqlite:${join(dir, 'prod.db')}`;
    const keyFile = join(dir, 'master.key');
    writeFileSync(keyFile, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const server = await serve(['--database', url, '--master-key-file', keyFile]);
    try {
      const res = await fetch(`${server.baseUrl}/csp/gateway/am/api/auth/token-public-key?format=jwks`);
      assert.equal(res.status, 200);
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited, 0);
    assert.doesNotMatch(server.output().stderr, /quickstart|API_TOKEN/);
    const store = await openStore(url);
    try {
      assert.equal((await kyselyOf(store).selectFrom('users').select('id').execute()).length, 0);
    } finally {
      await store.close();
    }
  });
});
