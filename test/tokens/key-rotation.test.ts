// Signing-key rotation while servers run: old tokens keep working until they expire, new tokens use
// the new kid at once, the retired public key leaves the JWKS only after its tokens' lifetime; keys persist.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader, generateKeyPair } from 'jose';
import { after, before, describe, it } from 'node:test';
import { buildApp } from '../../src/app.js';
import { type Config, DEFAULTS } from '../../src/config.js';
import { openStore } from '../../src/storage/database.js';
import { createServices } from '../../src/services.js';
import { rotateSigningKey } from '../../src/tokens/signing-keys.js';
import { createTestStore } from '../support/store.js';
import { craftToken } from './craft.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';

const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const JWKS = '/csp/gateway/am/api/auth/token-public-key?format=jwks';
const kidOf = (token: string) => decodeProtectedHeader(token).kid as string;

async function jwksKids(baseUrl: string): Promise<string[]> {
  const res = await fetch(`${baseUrl}${JWKS}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
}

describe('signing key rotation', () => {
  let server: TestServer;
  const clock = new TestClock();
  before(async () => {
    server = await startTestServer({ clock });
  });
  after(() => server.close());

  it('keeps old tokens valid, signs new ones with the new kid at once, and drops the old key only after its tokens expire', async () => {
    const before = await server.accessTokenFor();
    const unusedOld = await server.accessTokenFor();
    const oldKid = kidOf(before.accessToken);
    assert.deepEqual(await jwksKids(server.baseUrl), [oldKid]);
    assert.equal((await server.call(STATUS, { token: before.accessToken })).status, 200);

    const rotatedAt = clock.now();
    const newKid = await rotateSigningKey(server.services.store, clock, server.services.masterKey);
    assert.notEqual(newKid, oldKid);

    const afterRotation = await server.accessTokenFor();
    assert.equal(kidOf(afterRotation.accessToken), newKid, 'a token minted after the rotation uses the new key');
    assert.deepEqual(await jwksKids(server.baseUrl), [newKid, oldKid].sort());
    assert.equal((await server.call(STATUS, { token: afterRotation.accessToken })).status, 200);
    assert.equal((await server.call(STATUS, { token: before.accessToken })).status, 200);

    // Just before the old tokens expire, the old key still verifies a token never seen before.
    clock.ms = rotatedAt + (1800 - 5) * 1000;
    assert.equal((await server.call(STATUS, { token: unusedOld.accessToken })).status, 200);
    assert.deepEqual(await jwksKids(server.baseUrl), [newKid, oldKid].sort());

    // Once every token the old key signed has expired (plus the clock tolerance), it is gone.
    clock.ms = rotatedAt + (1800 + 120) * 1000;
    assert.deepEqual(await jwksKids(server.baseUrl), [newKid]);
    assert.equal((await server.call(STATUS, { token: unusedOld.accessToken })).status, 401);
    const fresh = await server.accessTokenFor();
    assert.equal(kidOf(fresh.accessToken), newKid);
    assert.equal((await server.call(STATUS, { token: fresh.accessToken })).status, 200);
  });

  it('lets another server copy on the same store verify tokens signed with a key rotated after it started', async () => {
    const config: Config = Object.freeze({ ...server.services.config });
    const copyServices = await createServices(config, { store: server.services.store, clock, masterKey: server.services.masterKey });
    const copy = await buildApp(copyServices);
    const copyUrl = (await copy.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    try {
      clock.advance(5_000);
      const newKid = await rotateSigningKey(server.services.store, clock, server.services.masterKey);
      const { accessToken } = await server.accessTokenFor();
      assert.equal(kidOf(accessToken), newKid);
      // The copy has not seen this kid yet: it reloads its keys from the store on the miss.
      const res = await fetch(`${copyUrl}${STATUS}`, { headers: { 'csp-auth-token': accessToken } });
      assert.equal(res.status, 200);
      assert.ok((await jwksKids(copyUrl)).includes(newKid));
    } finally {
      await copy.close(); // the store belongs to the first server
      await copyServices.keys.close();
    }
  });
});

describe('signing keys across restarts', () => {
  it('keeps the same key after a restart, so tokens issued before it still verify', async () => {
    const testStore = await createTestStore();
    const config: Config = Object.freeze({ ...DEFAULTS, databaseUrl: testStore.url });
    const masterKey = randomBytes(32);
    const first = await createServices(config, { store: testStore.store, masterKey });
    const app1 = await buildApp(first);
    const url1 = (await app1.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    const { createUser } = await import('../../src/principals/users.js');
    const { createApiToken } = await import('../../src/tokens/api-tokens.js');
    const user = await createUser(first.store, first.clock, { username: 'restart-user' });
    const apiToken = await createApiToken(first.store, first.clock, user.id);
    const res = await fetch(`${url1}/csp/gateway/am/api/auth/api-tokens/authorize`, { method: 'POST', body: new URLSearchParams({ api_token: apiToken }) });
    const accessToken = ((await res.json()) as { access_token: string }).access_token;
    const kidsBefore = await jwksKids(url1);
    await app1.close();
    await first.close();

    const reopened = await openStore(testStore.url);
    const second = await createServices(config, { store: reopened, masterKey });
    const app2 = await buildApp(second);
    const url2 = (await app2.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    try {
      assert.deepEqual(await jwksKids(url2), kidsBefore);
      const status = await fetch(`${url2}${STATUS}`, { headers: { 'csp-auth-token': accessToken } });
      assert.equal(status.status, 200);
    } finally {
      await app2.close();
      await second.close();
      await testStore.dispose().catch(() => undefined);
    }
  });
});

describe('unknown kids', () => {
  it('finding 8.14: a storm of unknown kids reloads no keys, and a key rotated meanwhile is trusted on the next request', async () => {
    const server = await startTestServer({ config: { failedAuthPerMinute: 10_000 } });
    const copy = await startTestServer({ databaseUrl: server.testStore.url, masterKey: server.services.masterKey });
    try {
      const { user, accessToken } = await server.accessTokenFor();
      const attacker = await generateKeyPair('RS256');
      // Count every full reload of the key table by the server under attack (the real method, counted).
      const keys = server.services.keys;
      const load = keys.load.bind(keys);
      let reloads = 0;
      keys.load = () => {
        reloads++;
        return load();
      };
      for (let i = 0; i < 200; i++) {
        const forged = await craftToken(server, user, { header: { kid: `made-up-${i}` }, key: attacker.privateKey });
        assert.equal((await server.call(STATUS, { token: forged })).status, 401);
      }
      assert.equal(reloads, 0, 'made-up kids must not reload the keys');
      assert.equal((await server.call(STATUS, { token: accessToken })).status, 200);

      // The other copy rotates (as `keys rotate` would) and signs at once; the attacked server trusts it on the next request.
      const newKid = await rotateSigningKey(copy.services.store, copy.services.clock, copy.services.masterKey);
      const fresh = await copy.accessTokenFor();
      assert.equal(kidOf(fresh.accessToken), newKid);
      assert.equal((await server.call(STATUS, { token: fresh.accessToken })).status, 200);
      assert.equal(reloads, 1, 'one reload for the one change');
    } finally {
      await copy.close();
      await server.close();
    }
  });
});
