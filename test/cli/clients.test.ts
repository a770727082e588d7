// principal-mfa clients create: the name and org rules of src/principals/names.ts, checked before anything is stored.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findServiceAccount } from '../../src/principals/service-accounts.js';
import { runCliInProcess } from '../support/cli.js';
import { createTestStore, type TestStore } from '../support/store.js';

describe('principal-mfa clients create', () => {
  let testStore: TestStore;
  let db: string[];
  before(async () => {
    testStore = await createTestStore();
    db = ['--database', testStore.url];
  });
  after(() => testStore.dispose());

  it('keeps the --org it is given', async () => {
    const result = await runCliInProcess(['clients', 'create', '--name', 'robot', '--org', 'acme-eu', '--json', ...db]);
    assert.equal(result.code, 0, result.stderr);
    const { clientId } = JSON.parse(result.stdout) as { clientId: string };
    assert.equal((await findServiceAccount(testStore.store, clientId))?.orgId, 'acme-eu');
  });

  it('refuses an --org that is no org id, and a --name longer than 255 characters, with one line and exit 2', async () => {
    for (const [args, message] of [
      [['--name', 'robot', '--org', 'bad org!'], /--org may hold 1-255 letters, digits and \. _ -/],
      [['--name', 'robot', '--org', 'a@b'], /--org may hold/],
      [['--name', 'n'.repeat(256)], /--name may hold at most 255 characters/],
    ] as const) {
      const result = await runCliInProcess(['clients', 'create', ...args, ...db]);
      // Refused before the store is opened: no client id printed, none made.
      assert.deepEqual({ code: result.code, stdout: result.stdout, lines: result.stderr.trim().split('\n').length }, { code: 2, stdout: '', lines: 1 });
      assert.match(result.stderr, message);
    }
  });
});
