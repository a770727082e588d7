// The master key through the CLI: which commands need it, how a careless key file is refused, and
// `keys rotate --revoke-previous` taking a compromised key out of every running copy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { after, before, describe, it } from 'node:test';
import { runCliInProcess } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createTestStore } from '../support/store.js';
import { kyselyOf } from '../../src/storage/internal.js';

const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const JWKS = '/csp/gateway/am/api/auth/token-public-key?format=jwks';
const OIDC_JWKS = '/csp/gateway/am/api/auth/oidc/jwks';
const ENTRY = join(import.meta.dirname, '..', 'ops', 'support', 'cli-entry.ts');
const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

const cli = runCliInProcess;

/** A master key file of 64 hex characters with the given mode. */
function writeKeyFile(path: string, key: Buffer, mode: number): string {
  writeFileSync(path, `${key.toString('hex')}\n`, { mode });
  chmodSync(path, mode); // whatever the umask
  return path;
}

async function jwksKids(server: TestServer, path = JWKS): Promise<string[]> {
  const res = await fetch(`${server.baseUrl}${path}`);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
}

describe('the master key in the CLI', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pmfa-keys-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finding 8.1: keys rotate refuses to run without the master key, naming --master-key-file, and changes nothing', async () => {
    const testStore = await createTestStore();
    try {
      const before = await kyselyOf(testStore.store).selectFrom('signing_keys').select('kid').execute();
      const result = await cli(['keys', 'rotate', '--database', testStore.url]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /--master-key-file/);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1);
      assert.deepEqual(await kyselyOf(testStore.store).selectFrom('signing_keys').select('kid').execute(), before);
    } finally {
      await testStore.dispose();
    }
  });

  it('finding 8.1: serve and keys rotate refuse a master-key file that group or others can read, naming the file and chmod 600', async () => {
    const database = `sqlite:${join(dir, 'loose.db')}`;
    for (const mode of [0o644, 0o640, 0o604]) {
      const file = writeKeyFile(join(dir, `loose-${mode.toString(8)}.key`), randomBytes(32), mode);
      const rotate = await cli(['keys', 'rotate', '--database', database, '--master-key-file', file]);
      assert.equal(rotate.code, 2, `keys rotate with mode ${mode.toString(8)}: ${rotate.stderr}`);
      // serve in a process of its own, as an operator starts it; it must exit, not listen.
      const serve = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'serve', '--port', '0', '--database', database, '--master-key-file', file], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(serve.status, 2, `serve with mode ${mode.toString(8)}: ${serve.stderr}`);
      for (const stderr of [rotate.stderr, serve.stderr]) {
        assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
        assert.ok(stderr.includes(file), stderr);
        assert.ok(stderr.includes(`chmod 600 ${file}`), stderr);
      }
    }
  });

  it("finding 8.1: keys rotate refuses a master key that does not open the store's signing key, and changes nothing", async () => {
    const server = await startTestServer({ masterKey: randomBytes(32) });
    try {
      const wrong = writeKeyFile(join(dir, 'wrong.key'), randomBytes(32), 0o600);
      const { kid } = await server.services.keys.signingKey();
      const { kid: ecKid } = await server.services.keys.signingKey('ES256');
      for (const extra of [[], ['--revoke-previous']]) {
        const result = await cli(['keys', 'rotate', ...extra, '--database', server.testStore.url, '--master-key-file', wrong]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /does not open the store's signing key/);
        assert.equal(result.stderr.trimEnd().split('\n').length, 1);
      }
      assert.deepEqual(
        (await kyselyOf(server.services.store).selectFrom('signing_keys').select('kid').execute()).map((r) => r.kid).sort(),
        [kid, ecKid].sort(),
      );
      const { accessToken } = await server.accessTokenFor();
      assert.equal(kidOf(accessToken), kid, 'the servers keep signing');
    } finally {
      await server.close();
    }
  });

  it('finding 8.1: commands that do not sign work without the master key, on a store whose keys are sealed', async () => {
    const server = await startTestServer({ masterKey: randomBytes(32) });
    const url = server.testStore.url;
    try {
      const steps: string[][] = [
        ['users', 'create', '--username', 'no-key-needed', '--password-stdin'],
        ['api-tokens', 'create', '--username', 'no-key-needed', '--json'],
        ['api-tokens', 'revoke', '--username', 'no-key-needed'],
        ['clients', 'create', '--name', 'no-key-client', '--json'],
        ['mfa', 'reset', '--username', 'no-key-needed'],
        ['users', 'disable', '--username', 'no-key-needed'],
        ['users', 'enable', '--username', 'no-key-needed'],
        ['users', 'import', '--file', writeJsonl(join(dir, 'import.jsonl'))],
        ['users', 'delete', '--username', 'no-key-needed'],
      ];
      for (const step of steps) {
        const result = await cli([...step, '--database', url], 'a-password-for-the-test');
        assert.equal(result.code, 0, `${step.join(' ')}: ${result.stderr}`);
      }
    } finally {
      await server.close();
    }
  });

  it('finding 8.1: keys rotate --revoke-previous: every running copy refuses the previous keys once the command returns', async () => {
    const masterKey = randomBytes(32);
    const keyFile = writeKeyFile(join(dir, 'master.key'), masterKey, 0o600);
    const first = await startTestServer({ masterKey });
    const second = await startTestServer({ masterKey, databaseUrl: first.testStore.url });
    const url = first.testStore.url;
    try {
      const a = await first.accessTokenFor();
      const ec1 = (await first.services.keys.signingKey('ES256')).kid;
      for (const copy of [first, second]) assert.equal((await copy.call(STATUS, { token: a.accessToken })).status, 200);

      // An ordinary rotation: the previous key keeps verifying the tokens it signed.
      const rotated = await cli(['keys', 'rotate', '--database', url, '--master-key-file', keyFile, '--json']);
      assert.equal(rotated.code, 0, rotated.stderr);
      const { kid: k2, ecKid: ec2 } = JSON.parse(rotated.stdout) as { kid: string; ecKid: string };
      const b = await second.accessTokenFor();
      assert.equal(kidOf(b.accessToken), k2);
      for (const copy of [first, second]) {
        assert.equal((await copy.call(STATUS, { token: a.accessToken })).status, 200);
        assert.equal((await copy.call(STATUS, { token: b.accessToken })).status, 200);
      }

      // The compromise case: no earlier key verifies anything any more, on any copy.
      const revoked = await cli(['keys', 'rotate', '--revoke-previous', '--database', url, '--master-key-file', keyFile, '--json']);
      assert.equal(revoked.code, 0, revoked.stderr);
      const { kid: k3, ecKid: ec3, revoked: gone } = JSON.parse(revoked.stdout) as { kid: string; ecKid: string; revoked: string[] };
      // The EC keys go with the RSA keys: one generation, rotated and revoked together.
      assert.deepEqual([...gone].sort(), [kidOf(a.accessToken), ec1, k2, ec2].sort());
      for (const copy of [first, second]) {
        for (const token of [a.accessToken, b.accessToken]) {
          const res = await copy.call(STATUS, { token });
          assert.equal(res.status, 401);
          assert.equal(((await res.json()) as { errorCode: string }).errorCode, 'invalid_token');
        }
        assert.deepEqual(await jwksKids(copy), [k3]);
        assert.deepEqual(await jwksKids(copy, OIDC_JWKS), [k3, ec3].sort());
      }
      assert.equal(
        await kyselyOf(first.services.store).selectFrom('signing_keys').select('kid').where('kid', 'not in', [k3, ec3]).executeTakeFirst(),
        undefined,
      );
      const c = await first.accessTokenFor();
      assert.equal(kidOf(c.accessToken), k3);
      for (const copy of [first, second]) assert.equal((await copy.call(STATUS, { token: c.accessToken })).status, 200);
    } finally {
      await second.close();
      await first.close();
    }
  });
});

function writeJsonl(path: string): string {
  writeFileSync(path, `${JSON.stringify({ username: 'imported-without-key' })}\n`);
  return path;
}
