// Two copies of the service on different ports, sharing one PostgreSQL database and one Redis: what one
// copy does, the other sees at once, and limits count across both.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { claimsOf, codeFor, enrol, exchangeRaw, MFA, postJson, stepAlignedMs } from '../mfa/support.js';
import { sharedServerUrls } from '../support/infra.js';
import { createPostgresDatabase } from '../support/postgres.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';

const LIMIT = 10;
const CLI_ENTRY = join(import.meta.dirname, '..', 'ops', 'support', 'cli-entry.ts');

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('two copies sharing PostgreSQL and Redis', () => {
  const clock = new TestClock(stepAlignedMs());
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let a: TestServer;
  let b: TestServer;
  /** The copies' master key as an operator keeps it: the CLI's keys rotate reads it from this file. */
  const keyDir = mkdtempSync(join(tmpdir(), 'pmfa-scale-key-'));
  const masterKeyFile = join(keyDir, 'master.key');

  before(async () => {
    const servers = sharedServerUrls();
    database = await createPostgresDatabase(servers.postgres);
    const masterKey = randomBytes(32);
    writeFileSync(masterKeyFile, masterKey.toString('hex'), { mode: 0o600 });
    const shared = {
      databaseUrl: database.url,
      redisKeyPrefix: `pmfa-scale-${randomUUID()}`,
      masterKey,
      clock,
      config: { redisUrl: servers.redis, rateLimitPerMinute: LIMIT },
    };
    a = await startTestServer(shared);
    b = await startTestServer(shared);
    assert.notEqual(a.baseUrl, b.baseUrl);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  test('the per-principal rate limit holds across both copies: never 2 × the limit', async () => {
    const { accessToken } = await a.accessTokenFor();
    let allowed = 0;
    let refused = 0;
    for (let i = 0; i < 2 * LIMIT; i++) {
      const copy = i % 2 === 0 ? a : b;
      const res = await copy.call(`${MFA}/status`, { token: accessToken });
      if (res.status === 200) allowed++;
      else {
        assert.equal(res.status, 429);
        expectCspError(await res.json(), 429, res.headers.get('x-request-id'));
        refused++;
      }
    }
    assert.equal(allowed, LIMIT);
    assert.equal(refused, LIMIT);
  });

  test('a device activated through one copy shows as activated on the other at once', async () => {
    const { accessToken } = await a.accessTokenFor();
    const registered = await postJson(a, `${MFA}/device`, accessToken, { deviceName: 'shared phone' });
    assert.equal(registered.status, 201);
    const pending = await postJson(b, `${MFA}/status`, accessToken, undefined, 'GET');
    assert.deepEqual({ activated: pending.body.activated, turnedOn: pending.body.turnedOn }, { activated: false, turnedOn: false });
    const activated = await postJson(a, `${MFA}/device/activate`, accessToken, { passcode: codeFor(registered.body.secret, clock) });
    assert.equal(activated.status, 200);
    const status = await postJson(b, `${MFA}/status`, accessToken, undefined, 'GET');
    assert.equal(status.status, 200);
    assert.equal(status.body.activated, true);
    assert.equal(status.body.turnedOn, true);
    assert.equal(status.body.deviceName, 'shared phone');
    clock.advance(30_000);
  });

  test('a passcode used on one copy is refused on the other', async () => {
    const enrolled = await enrol(a, clock);
    const code = codeFor(enrolled.secret, clock);
    const first = await exchangeRaw(a, enrolled.apiToken, code);
    assert.equal(first.status, 200);
    const replay = await exchangeRaw(b, enrolled.apiToken, code);
    assert.equal(replay.status, 401);
    assert.equal(expectCspError(replay.body, 401, replay.headers.get('x-request-id')).errorCode, 'invalid_passcode');
    clock.advance(30_000);
  });

  test('a signing key rotated through the CLI is used and trusted by both copies', async () => {
    const before = claimsOfHeader((await a.accessTokenFor()).accessToken).kid;
    const rotated = await runCli(['keys', 'rotate', '--database', database.url, '--master-key-file', masterKeyFile]);
    assert.equal(rotated.code, 0, rotated.stderr);
    clock.advance(31_000); // past the key ring's periodic refresh
    const fromA = await a.accessTokenFor();
    const newKid = claimsOfHeader(fromA.accessToken).kid;
    assert.notEqual(newKid, before);
    // b has not loaded the new key yet: it reloads on the unknown kid.
    assert.equal((await b.call(`${MFA}/status`, { token: fromA.accessToken })).status, 200);
    const fromB = await b.accessTokenFor();
    assert.equal(claimsOfHeader(fromB.accessToken).kid, newKid);
    assert.equal((await a.call(`${MFA}/status`, { token: fromB.accessToken })).status, 200);
    assert.ok(claimsOf(fromB.accessToken).sub);
  });
});

function claimsOfHeader(jwt: string): { kid: string } {
  return JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8'));
}
