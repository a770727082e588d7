// Admin `mfa reset` through the CLI, and where `serve` gets the seed master key from.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCliInProcess } from '../support/cli.js';
import { DEFAULTS } from '../../src/config.js';
import { devMasterKeyPath, resolveServeMasterKey } from '../../src/cli/master-key.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { codeFor, enrol, exchangeRaw, MFA, postJson, stepAlignedMs } from './support.js';
import { kyselyOf } from '../../src/storage/internal.js';

const cli = runCliInProcess;

describe('principal-mfa mfa reset', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  it('removes the device, recovery codes and lockout, takes effect at once, and is audited as admin', async () => {
    const e = await enrol(server, clock, 'lost phone');
    const result = await cli(['mfa', 'reset', '--username', e.username, '--database', server.testStore.url, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { id: e.userId, username: e.username, domain: 'local', removed: true });
    assert.deepEqual(await (await server.call(`${MFA}/status`, { token: e.accessToken })).json(), { activated: false, turnedOn: false, username: e.username });
    assert.equal((await exchangeRaw(server, e.apiToken)).status, 200, 'no passcode needed any more');
    assert.equal((await kyselyOf(server.services.store).selectFrom('recovery_codes').select('id').where('user_id', '=', e.userId).execute()).length, 0);
    const audit = await postJson(server, `${MFA}/audit`, e.accessToken, { startDate: 0, endDate: clock.now() + 1, actions: ['MFA_DEACTIVATION'] });
    assert.deepEqual(
      audit.body.results.map((r: any) => [r.modifiedBy, r.details.deviceName, r.username]),
      [['admin', 'lost phone', e.username]],
    );
    // The principal can enrol again from scratch.
    assert.equal((await postJson(server, `${MFA}/device`, e.accessToken, { deviceName: 'new phone' })).status, 201);
  });

  it('succeeds with removed: false for a principal without a device, and fails for an unknown user', async () => {
    const { user } = await server.createUser();
    const none = await cli(['mfa', 'reset', '--username', user.username, '--database', server.testStore.url, '--json']);
    assert.equal(none.code, 0);
    assert.equal(JSON.parse(none.stdout).removed, false);
    const unknown = await cli(['mfa', 'reset', '--username', 'nobody-here', '--database', server.testStore.url]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no user named/);
    assert.equal(unknown.stderr.trimEnd().split('\n').length, 1);
    const usage = await cli(['mfa', 'wipe', '--username', user.username, '--database', server.testStore.url]);
    assert.notEqual(usage.code, 0);
  });

  it('lifts a lockout so the principal can use a correct code again', async () => {
    const e = await enrol(server, clock);
    for (let i = 0; i < 5; i++) await exchangeRaw(server, e.apiToken, '000000');
    assert.equal((await exchangeRaw(server, e.apiToken, codeFor(e.secret, clock))).status, 429);
    assert.equal((await cli(['mfa', 'reset', '--username', e.username, '--database', server.testStore.url])).code, 0);
    const again = await enrol(server, clock);
    assert.equal((await exchangeRaw(server, again.apiToken, codeFor(again.secret, clock))).status, 200);
  });
});

describe('the seed master key of serve', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pmfa-key-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to serve without a key: non-zero exit and a message naming --master-key-file', async () => {
    const result = await cli(['serve', '--database', `sqlite:${join(dir, 'prod.db')}`, '--port', '0']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /--master-key-file/);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1);
  });

  it('refuses a key file that is missing or not 64 hex characters, without echoing its content', async () => {
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'not-a-key-SECRETISH', { mode: 0o600 });
    for (const path of [bad, join(dir, 'missing.key')]) {
      const result = await cli(['serve', '--database', `sqlite:${join(dir, 'prod.db')}`, '--port', '0', '--master-key-file', path]);
      assert.notEqual(result.code, 0);
      assert.doesNotMatch(result.stderr, /SECRETISH/);
    }
  });

  it('--dev creates master.key (mode 0600) next to the SQLite file once and never overwrites it', async () => {
    const config = { ...DEFAULTS, dev: true, databaseUrl: `sqlite:${join(dir, 'dev', 'store.db')}` };
    const first = await resolveServeMasterKey(config);
    assert.equal(first.created, true);
    assert.equal(first.path, join(dir, 'dev', 'master.key'));
    assert.equal(statSync(first.path).mode & 0o777, 0o600);
    assert.match(readFileSync(first.path, 'utf8'), /^[0-9a-f]{64}\n$/);
    const second = await resolveServeMasterKey(config);
    assert.equal(second.created, false);
    assert.deepEqual(second.key, first.key);
  });

  it('--dev puts the key in ./data/ for stores that are not SQLite files, and a configured file always wins', async () => {
    assert.equal(devMasterKeyPath('postgres://db.example/pmfa'), resolve('data', 'master.key'));
    assert.equal(devMasterKeyPath('sqlite::memory:'), resolve('data', 'master.key'));
    const keyFile = join(dir, 'given.key');
    writeFileSync(keyFile, `${'cd'.repeat(32)}\n`, { mode: 0o600 });
    const given = await resolveServeMasterKey({ ...DEFAULTS, dev: true, masterKeyFile: keyFile });
    assert.deepEqual(given.key, Buffer.from('cd'.repeat(32), 'hex'));
    assert.equal(given.created, false);
  });
});
