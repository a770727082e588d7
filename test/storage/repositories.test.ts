// The storage seam on every backend: repositories return domain objects, and a transaction commits a change with its audit event or neither.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { kyselyOf } from '../../src/storage/internal.js';
import { createTestStore, testBackend, type TestStore } from '../support/store.js';

describe(`repositories (${testBackend()})`, () => {
  let t: TestStore;
  before(async () => {
    t = await createTestStore();
  });
  after(async () => {
    await t.dispose();
  });

  const user = { id: 'u-repo', username: 'repo', domain: 'local', orgId: 'o', passwordHash: null, issuer: null, subject: null, createdAt: 1 };

  test('maps rows to camelCase objects with booleans as booleans and times as epoch-ms numbers', async () => {
    await t.store.principals.insert(user);
    assert.deepEqual(await t.store.principals.findById(user.id), {
      id: 'u-repo',
      username: 'repo',
      domain: 'local',
      orgId: 'o',
      enabled: true,
      passwordHash: null,
      issuer: null,
      subject: null,
    });
    const device = {
      userId: user.id,
      deviceName: 'phone',
      secretCiphertext: 'sealed',
      algorithm: 'SHA1',
      digits: 6,
      periodSeconds: 30,
      createdAt: 1_767_225_600_123,
    };
    assert.equal(await t.store.devices.upsertPending(device), true);
    assert.equal(await t.store.devices.claimTimeStep(device, 42, 1_767_225_600_456), true);
    assert.deepEqual(await t.store.devices.findByUser(user.id), { ...device, activatedAt: 1_767_225_600_456, turnedOn: true, lastUsedStep: 42 });
    assert.deepEqual(await t.store.devices.findState(user.id), { deviceName: 'phone', activatedAt: 1_767_225_600_456, turnedOn: true });
    assert.equal(await t.store.devices.setTurnedOn(user.id, false), true);
    assert.deepEqual(await t.store.devices.findState(user.id), { deviceName: 'phone', activatedAt: 1_767_225_600_456, turnedOn: false });
  });

  test('a transaction commits a change and its audit event together, or neither', async () => {
    const event = { userId: user.id, username: user.username, action: 'MFA_DEVICE_NAME_UPDATE', deviceName: 'tablet', modifiedBy: user.username, eventDate: 5 };
    await assert.rejects(
      t.store.transaction(async (tx) => {
        await tx.devices.rename(user.id, 'tablet');
        await tx.audit.record(event);
        throw new Error('fails after both writes');
      }),
    );
    assert.equal((await t.store.devices.findByUser(user.id))?.deviceName, 'phone');
    assert.deepEqual(await kyselyOf(t.store).selectFrom('audit_events').select('event_id').where('user_id', '=', user.id).execute(), []);
    await t.store.transaction(async (tx) => {
      await tx.devices.rename(user.id, 'tablet');
      await tx.audit.record(event);
    });
    assert.equal((await t.store.devices.findByUser(user.id))?.deviceName, 'tablet');
    assert.equal((await kyselyOf(t.store).selectFrom('audit_events').select('event_id').where('user_id', '=', user.id).execute()).length, 1);
  });

  test('answers a ping while open', async () => {
    await t.store.ping();
  });
});
