// Issue 11: principal-mfa clients create registers applications that sign people in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findServiceAccount } from '../../src/principals/service-accounts.js';
import { runCliInProcess } from '../support/cli.js';
import { createTestStore, type TestStore } from '../support/store.js';

describe('principal-mfa clients create --redirect-uri', () => {
  let testStore: TestStore;
  let db: string[];
  before(async () => {
    testStore = await createTestStore();
    db = ['--database', testStore.url];
  });
  after(() => testStore.dispose());

  it('issue 11: registers a confidential application with its redirect URIs → {"clientId","clientSecret"}', async () => {
    const result = await runCliInProcess([
      'clients',
      'create',
      '--name',
      'Wiki',
      '--redirect-uri',
      'https://wiki.example.com/callback',
      '--redirect-uri',
      'http://127.0.0.1:8000/callback',
      '--post-logout-redirect-uri',
      'https://wiki.example.com/',
      '--json',
      ...db,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const created = JSON.parse(result.stdout) as { clientId: string; clientSecret: string };
    assert.deepEqual(Object.keys(created), ['clientId', 'clientSecret']);
    const application = await testStore.store.applications.findById(created.clientId);
    assert.deepEqual(application?.redirectUris, ['https://wiki.example.com/callback', 'http://127.0.0.1:8000/callback']);
    assert.deepEqual(application?.postLogoutRedirectUris, ['https://wiki.example.com/']);
    assert.notEqual(application?.secretHash, created.clientSecret, 'only the hash is stored');
    assert.equal(await findServiceAccount(testStore.store, created.clientId), undefined, 'not a service account');
  });

  it('issue 11: --public registers an application without a secret → {"clientId"}', async () => {
    const result = await runCliInProcess(['clients', 'create', '--name', 'SPA', '--redirect-uri', 'https://spa.example.com/cb', '--public', '--json', ...db]);
    assert.equal(result.code, 0, result.stderr);
    const created = JSON.parse(result.stdout) as { clientId: string };
    assert.deepEqual(Object.keys(created), ['clientId']);
    assert.equal((await testStore.store.applications.findById(created.clientId))?.secretHash, null);
  });

  it('issue 11: refuses redirect URIs that are not exact, safe https (or loopback http) URIs', async () => {
    for (const uri of ['/relative', 'http://example.com/cb', 'https://example.com/cb#frag', 'https://example.com/a;b', 'javascript:alert(1)']) {
      const result = await runCliInProcess(['clients', 'create', '--name', 'Bad', '--redirect-uri', uri, ...db]);
      assert.equal(result.code, 2, `${uri}: ${result.stdout}`);
      assert.equal(result.stdout, '');
    }
    const publicAlone = await runCliInProcess(['clients', 'create', '--name', 'Bad', '--public', ...db]);
    assert.equal(publicAlone.code, 2);
  });

  it('issue 11: without --redirect-uri it still makes a client-credentials application', async () => {
    const result = await runCliInProcess(['clients', 'create', '--name', 'robot', '--json', ...db]);
    const { clientId } = JSON.parse(result.stdout) as { clientId: string };
    assert.ok(await findServiceAccount(testStore.store, clientId));
  });
});
