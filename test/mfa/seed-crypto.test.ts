// Seed encryption must fail closed on any tampering, and the master key file must never be replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decryptSeed, encryptSeed } from '../../src/mfa/seed-crypto.js';
import { ensureMasterKeyFile, loadMasterKey } from '../../src/secrets/master-key-file.js';

const key = crypto.randomBytes(32);
const seed = new Uint8Array(crypto.randomBytes(20));
const USER = '7b0f3f5e-2a52-4c38-9d8e-0d1c3c1f6a11';

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mfa-seed-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('round trip, versioned format, fresh IV each time', () => {
  const a = encryptSeed(key, seed, USER);
  const b = encryptSeed(key, seed, USER);
  assert.match(a, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  assert.notEqual(a, b);
  assert.deepEqual(decryptSeed(key, a, USER), seed);
  assert.deepEqual(decryptSeed(key, b, USER), seed);
  assert.ok(!a.includes(Buffer.from(seed).toString('base64url')));
});

test('tampering with any part fails', () => {
  const good = encryptSeed(key, seed, USER);
  const parts = good.split('.');
  for (let p = 1; p < parts.length; p++) {
    const part = parts[p]!;
    for (let i = 0; i < part.length; i++) {
      const swapped = part[i] === 'A' ? 'B' : 'A';
      const copy = [...parts];
      copy[p] = part.slice(0, i) + swapped + part.slice(i + 1);
      assert.throws(() => decryptSeed(key, copy.join('.'), USER), Error, `part ${p} char ${i}`);
    }
  }
  const tagless = parts.slice(0, 3).join('.');
  const shortTag = `${parts.slice(0, 3).join('.')}.${parts[3]!.slice(0, 12)}`;
  const junk = [
    'v2' + good.slice(2),
    tagless,
    shortTag,
    `${good}.x`,
    good.replace(/\./g, ':'),
    '',
    'v1...',
    `${parts[0]}.${parts[1]}.${parts[2]}=.${parts[3]}`,
    `${parts[0]}.${parts[1]}.${parts[2]} .${parts[3]}`,
  ];
  for (const bad of junk) assert.throws(() => decryptSeed(key, bad, USER), Error, bad);
});

test('wrong associated data or wrong key fails', () => {
  const ct = encryptSeed(key, seed, USER);
  assert.throws(() => decryptSeed(key, ct, 'another-user'), /failed authentication/);
  assert.throws(() => decryptSeed(key, ct, `${USER} `), /failed authentication/);
  assert.throws(() => decryptSeed(crypto.randomBytes(32), ct, USER), /failed authentication/);
  assert.throws(() => decryptSeed(key.subarray(0, 16), ct, USER), RangeError);
  assert.throws(() => encryptSeed(key, seed, ''), RangeError);
  assert.throws(() => encryptSeed(key, new Uint8Array(), USER), RangeError);
});

test('loadMasterKey reads 64 hex characters with surrounding whitespace', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'master.key');
    const hex = key.toString('hex');
    await writeFile(file, `  ${hex}\n`, { mode: 0o600 });
    assert.deepEqual(await loadMasterKey(file), key);
    await writeFile(file, hex.toUpperCase());
    assert.deepEqual(await loadMasterKey(file), key);
  });
});

test('loadMasterKey fails with a clear one-line message', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'master.key');
    const hex = key.toString('hex');
    const expectError = async (pattern: RegExp) => {
      await assert.rejects(loadMasterKey(file), (err: Error) => {
        assert.match(err.message, pattern);
        assert.ok(!err.message.includes('\n'));
        assert.ok(!err.message.includes(hex.slice(0, 16)), 'message must not leak key material');
        return true;
      });
    };
    await expectError(/not found/);
    for (const content of ['', hex.slice(0, 63), `${hex}0`, `${hex.slice(0, 63)}g`, `${hex.slice(0, 32)} ${hex.slice(32)}`, `0x${hex.slice(2)}`]) {
      await writeFile(file, content, { mode: 0o600 });
      await expectError(/exactly 64 hex characters/);
    }
    await rm(file);
    await mkdir(file);
    await expectError(/cannot read master key file/);
  });
});

test('finding 8.1: loadMasterKey refuses a file that group or others may read or write, naming the chmod 600 fix', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'master.key');
    await writeFile(file, key.toString('hex'), { mode: 0o600 });
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o660]) {
      await chmod(file, mode);
      await assert.rejects(loadMasterKey(file), (err: Error) => {
        assert.equal(err.message, `master key file ${file} is open to group or others (mode 0${mode.toString(8)}): run chmod 600 ${file}`);
        return true;
      });
    }
    for (const mode of [0o600, 0o400]) {
      await chmod(file, mode);
      assert.deepEqual(await loadMasterKey(file), key);
    }
  });
});

test('ensureMasterKeyFile creates a 0600 key once and never overwrites', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'nested', 'deeper', 'master.key');
    assert.deepEqual(await ensureMasterKeyFile(file), { created: true });
    const first = await readFile(file, 'utf8');
    assert.match(first, /^[0-9a-f]{64}\n$/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const loaded = await loadMasterKey(file);
    assert.equal(loaded.length, 32);

    assert.deepEqual(await ensureMasterKeyFile(file), { created: false });
    assert.equal(await readFile(file, 'utf8'), first);

    // Even an invalid existing file is left for loadMasterKey to reject, never silently replaced.
    const other = path.join(dir, 'existing.key');
    await writeFile(other, 'not a key');
    assert.deepEqual(await ensureMasterKeyFile(other), { created: false });
    assert.equal(await readFile(other, 'utf8'), 'not a key');

    const racers = path.join(dir, 'race.key');
    const results = await Promise.all(Array.from({ length: 8 }, () => ensureMasterKeyFile(racers)));
    assert.equal(results.filter((r) => r.created).length, 1);
  });
});
