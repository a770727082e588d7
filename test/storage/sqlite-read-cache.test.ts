// The SQLite hot-row cache never serves a row that another connection has changed or deleted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import BetterSqlite3 from 'better-sqlite3';
import { systemClock } from '../../src/clock.js';
import { getMfaStatus } from '../../src/mfa/status.js';
import { createUser, deleteUser, findUserById, setUserEnabled } from '../../src/principals/users.js';
import { openStore, sqlitePath } from '../../src/storage/database.js';
import { openWalIndexWatch } from '../../src/storage/sqlite-change-watch.js';
import { toMfaStatus } from '../../src/mfa/status.js';
import { createTestStore, testBackend, type TestStore } from '../support/store.js';

describe('SQLite hot reads', { concurrency: false }, () => {
  let testStore: TestStore;
  before(async () => {
    testStore = await createTestStore();
  });
  after(() => testStore.dispose());

  it('see a disable, enable and delete made through the writer connection on the very next read', async () => {
    const { store } = testStore;
    const user = await createUser(store, systemClock, { username: 'cached-1' });
    assert.equal((await findUserById(store, user.id))?.enabled, true);
    await setUserEnabled(store, user.id, false);
    assert.equal((await findUserById(store, user.id))?.enabled, false);
    await setUserEnabled(store, user.id, true);
    assert.equal((await findUserById(store, user.id))?.enabled, true);
    await deleteUser(store, user.id);
    assert.equal(await findUserById(store, user.id), undefined);
  });

  it('see changes committed by another process-like connection (the admin CLI) on the very next read', async (t) => {
    if (testBackend() !== 'sqlite') return t.diagnostic('PostgreSQL run: no SQLite reader cache involved; covered by the SQLite run');
    const { store, url } = testStore;
    const user = await createUser(store, systemClock, { username: 'cached-2' });
    const other = new BetterSqlite3(sqlitePath(url) as string);
    try {
      assert.equal((await findUserById(store, user.id))?.enabled, true);
      other.prepare('update users set enabled = 0 where id = ?').run(user.id);
      assert.equal((await findUserById(store, user.id))?.enabled, false);
      assert.deepEqual(await getMfaStatus(store, (await findUserById(store, user.id))!), { activated: false, turnedOn: false, username: 'cached-2' });
      other
        .prepare(
          "insert into mfa_devices (user_id, device_name, secret_ciphertext, algorithm, digits, period_seconds, activated_at, turned_on, created_at) values (?, 'phone', 'x', 'SHA1', 6, 30, 1, 1, 1)",
        )
        .run(user.id);
      assert.deepEqual(await getMfaStatus(store, (await findUserById(store, user.id))!), {
        activated: true,
        deviceName: 'phone',
        turnedOn: true,
        username: 'cached-2',
      });
      other.prepare('delete from users where id = ?').run(user.id);
      assert.equal(await findUserById(store, user.id), undefined);
    } finally {
      other.close();
    }
  });

  it('the user and device read in one statement (the gate) sees changes made through another connection on the very next read', async () => {
    const { store, url } = testStore;
    const user = await createUser(store, systemClock, { username: 'cached-3' });
    const cli = await openStore(url); // as the admin CLI: a connection (pool) of its own
    try {
      const read = () => store.principals.findByIdWithMfaState(user.id);
      assert.deepEqual(await read(), { user, device: undefined, firstPasskeyName: undefined });
      await cli.principals.setEnabled(user.id, false);
      assert.equal((await read())?.user.enabled, false);
      await cli.devices.upsertPending({
        userId: user.id,
        deviceName: 'phone',
        secretCiphertext: 'x',
        algorithm: 'SHA1',
        digits: 6,
        periodSeconds: 30,
        createdAt: 1,
      });
      assert.deepEqual((await read())?.device, { deviceName: 'phone', activatedAt: null, turnedOn: false });
      assert.equal(await cli.devices.claimTimeStep({ userId: user.id, secretCiphertext: 'x' }, 7, 1_767_225_600_000), true);
      const state = await read();
      assert.deepEqual(toMfaStatus(state!.user, state!.device), { activated: true, deviceName: 'phone', turnedOn: true, username: 'cached-3' });
      await cli.principals.delete(user.id);
      assert.equal(await read(), undefined);
    } finally {
      await cli.close();
    }
  });

  it('the passkeys of that one read (the status with passkeys only) follow a registration, rename and removal through another connection on the very next read', async () => {
    const { store, url } = testStore;
    const user = await createUser(store, systemClock, { username: 'cached-4' });
    const cli = await openStore(url);
    const passkey = (id: string, name: string, createdAt: number) => ({
      id,
      userId: user.id,
      name,
      credentialId: `cred-${id}`,
      publicKey: 'pk',
      signCount: 0,
      transports: [],
      aaguid: '00000000-0000-0000-0000-000000000000',
      backupEligible: false,
      backedUp: false,
      userVerified: true,
      createdAt,
      lastUsedAt: null,
    });
    const status = async () => {
      const state = (await store.principals.findByIdWithMfaState(user.id))!;
      return toMfaStatus(state.user, state.device, state.firstPasskeyName);
    };
    try {
      assert.deepEqual(await status(), { activated: false, turnedOn: false, username: 'cached-4' });
      assert.equal(await cli.webauthnCredentials.insert(passkey('00000000-0000-4000-8000-000000000002', 'laptop', 2_000)), true);
      assert.deepEqual(await status(), { activated: true, deviceName: 'laptop', turnedOn: true, username: 'cached-4' });
      // The first registered one names the status, whatever the order of insertion.
      assert.equal(await cli.webauthnCredentials.insert(passkey('00000000-0000-4000-8000-000000000001', 'key', 1_000)), true);
      assert.deepEqual(await status(), { activated: true, deviceName: 'key', turnedOn: true, username: 'cached-4' });
      assert.equal(await cli.webauthnCredentials.rename(user.id, '00000000-0000-4000-8000-000000000001', 'yubikey'), true);
      assert.equal((await status()).deviceName, 'yubikey');
      await cli.webauthnCredentials.deleteForUser(user.id);
      assert.deepEqual(await status(), { activated: false, turnedOn: false, username: 'cached-4' });
    } finally {
      await cli.close();
    }
  });

  it('see a commit of another process, and of a WAL restarted after a truncating checkpoint, on the very next read', async (t) => {
    if (testBackend() !== 'sqlite') return t.diagnostic('PostgreSQL run: no SQLite reader cache involved; covered by the SQLite run');
    const { store, url } = testStore;
    const file = sqlitePath(url) as string;
    const user = await createUser(store, systemClock, { username: 'cached-5' });
    // Another OS process, as the admin CLI is: its commit reaches this process only through the shared files.
    const otherProcess = (sql: string) =>
      execFileSync(
        process.execPath,
        ['-e', `const D = require('better-sqlite3'); const d = new D(process.argv[1]); d.exec(process.argv[2]); d.close();`, file, sql],
        {
          cwd: process.cwd(),
        },
      );
    const enabled = async () => (await store.principals.findByIdWithMfaState(user.id))?.user.enabled;
    assert.equal(await enabled(), true);
    for (let i = 0; i < 3; i++) {
      otherProcess(`update users set enabled = 0 where id = '${user.id}'`);
      assert.equal(await enabled(), false, `round ${i}: disabled by another process`);
      // Fold the WAL into the file and empty it: the next commit restarts the WAL from its first frame.
      otherProcess(`pragma wal_checkpoint(TRUNCATE); update users set enabled = 1 where id = '${user.id}'`);
      assert.equal(await enabled(), true, `round ${i}: enabled again after a restarted WAL`);
    }
    otherProcess(`delete from users where id = '${user.id}'`);
    assert.equal(await store.principals.findByIdWithMfaState(user.id), undefined);
  });

  it('watch the WAL index itself on a file store (not the slower pragma), and one store closing leaves another on the same file watching', async (t) => {
    if (testBackend() !== 'sqlite') return t.diagnostic('PostgreSQL run: no SQLite reader cache involved; covered by the SQLite run');
    const { store, url } = testStore;
    const file = sqlitePath(url) as string;
    const watch = openWalIndexWatch(file);
    assert.ok(watch, 'a store in WAL mode has a -shm index to watch');
    const user = await createUser(store, systemClock, { username: 'cached-6' });
    const second = await openStore(url);
    await second.close(); // its watch's descriptor is shared with ours: closing it must not close ours
    try {
      assert.equal(watch.changed(), true, 'the first look is always a change');
      assert.equal(watch.changed(), false, 'nothing committed since');
      await setUserEnabled(store, user.id, false);
      assert.equal(watch.changed(), true, 'a commit of the writer connection');
      assert.equal(watch.changed(), false);
      assert.equal((await findUserById(store, user.id))?.enabled, false);
    } finally {
      watch.close();
    }
  });
});
