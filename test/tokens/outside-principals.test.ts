// Hostile cases for principals named by a trusted outside issuer (issue 8, findings 2 and 4): who is
// the same principal (issuer and subject, never the username), which domain it lives in, and which
// of the issuer's tokens are accepted at all (audience, authorized party, token type).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUser } from '../../src/principals/users.js';
import type { Store } from '../../src/storage/database.js';
import { codeFor, MFA, postJson, stepAlignedMs } from '../mfa/support.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';
import { type Key, makeKey, OutsideIssuer } from './outside-issuer.js';
import { kyselyOf } from '../../src/storage/internal.js';
import { ORGS, setRole } from '../orgs/support.js';

const REALM_A = 'https://idp.example/realms/a';
const REALM_B = 'https://idp.example/realms/b';
const SOLO = 'https://solo.example';

/** Every row of the users table a test cares about, read straight from the store. */
async function usersNamed(store: Store, username: string): Promise<Record<string, unknown>[]> {
  return (await kyselyOf(store).selectFrom('users').selectAll().where('username', '=', username).execute()).sort((a, b) =>
    String(a.domain).localeCompare(String(b.domain)),
  );
}

async function expect401(res: Response, what: string): Promise<void> {
  assert.equal(res.status, 401, `${what}: ${res.status}`);
  assert.equal(expectCspError(await res.json(), 401).errorCode, 'invalid_token', what);
}

describe('outside principals: keyed by issuer and subject, one domain per issuer', () => {
  const clock = new TestClock(stepAlignedMs());
  const realmA = new OutsideIssuer(REALM_A);
  const realmB = new OutsideIssuer(REALM_B);
  let keyA: Key;
  let keyB: Key;
  let server: TestServer;
  const status = (token: string) => server.call(`${MFA}/status`, { token });

  before(async () => {
    await realmA.start();
    await realmB.start();
    keyA = await makeKey('realm-a', 'RS256');
    keyB = await makeKey('realm-b', 'ES256');
    realmA.published = [keyA];
    realmB.published = [keyB];
    server = await startTestServer({ clock, config: { trustedIssuers: [realmA.trusted(), realmB.trusted()] } });
  });
  after(async () => {
    await server.close();
    await realmA.stop();
    await realmB.stop();
  });

  test('finding 8.2: another user of the same issuer with the same username but another sub is another principal', async () => {
    const victim = await realmA.mint(keyA, clock, { sub: 'victim-subject', username: 'bob' });
    const registered = await postJson(server, `${MFA}/device`, victim, { deviceName: 'bob phone' });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.equal((await postJson(server, `${MFA}/device/activate`, victim, { passcode: codeFor(registered.body.secret, clock) })).status, 200);
    clock.advance(30_000);

    const impostor = await realmA.mint(keyA, clock, { sub: 'impostor-subject', username: 'bob' });
    assert.deepEqual(await (await status(impostor)).json(), { activated: false, turnedOn: false, username: 'bob' }, "not the victim's device");
    const audit = await postJson(server, `${MFA}/audit`, impostor, { startDate: clock.now() - 3_600_000, endDate: clock.now() + 1 });
    assert.equal(audit.status, 200);
    assert.deepEqual(audit.body.results, [], "not the victim's audit log");
    assert.equal((await postJson(server, `${MFA}/device`, impostor, { deviceName: 'renamed by impostor' }, 'PATCH')).status, 404);
    assert.deepEqual(await (await status(victim)).json(), { activated: true, deviceName: 'bob phone', turnedOn: true, username: 'bob' });
    const rows = await usersNamed(server.services.store, 'bob');
    assert.deepEqual(rows.map((r) => [r.issuer, r.subject]).sort(), [
      [REALM_A, 'impostor-subject'],
      [REALM_A, 'victim-subject'],
    ]);
  });

  test('finding 8.2: two realms on one host are two domains, and their same-named users two principals', async () => {
    const inA = await realmA.mint(keyA, clock, { sub: 'same-subject', username: 'dana' });
    const inB = await realmB.mint(keyB, clock, { sub: 'same-subject', username: 'dana' });
    const registered = await postJson(server, `${MFA}/device`, inA, { deviceName: 'dana phone' });
    assert.equal(registered.status, 201);
    assert.deepEqual(await (await status(inB)).json(), { activated: false, turnedOn: false, username: 'dana' });
    const rows = await usersNamed(server.services.store, 'dana');
    assert.deepEqual(
      rows.map((r) => r.domain),
      ['idp.example/realms/a', 'idp.example/realms/b'],
    );
    assert.notEqual(rows[0]?.id, rows[1]?.id);
  });

  test('finding 8.2: a user renamed at the issuer keeps its principal (same sub) and is shown by its new name', async () => {
    const before = await realmA.mint(keyA, clock, { sub: 'renamed-subject', username: 'erik' });
    assert.equal((await status(before)).status, 200);
    const [first] = await usersNamed(server.services.store, 'erik');
    const after = await realmA.mint(keyA, clock, { sub: 'renamed-subject', username: 'erik.new' });
    assert.deepEqual(await (await status(after)).json(), { activated: false, turnedOn: false, username: 'erik.new' });
    assert.deepEqual(await usersNamed(server.services.store, 'erik'), []);
    assert.deepEqual(
      (await usersNamed(server.services.store, 'erik.new')).map((r) => r.id),
      [first?.id],
    );
  });

  test('finding 8.2: a username, sub or org with a control character or NUL is a 401 (not a 500), and creates nobody', async () => {
    const hostile: Record<string, unknown>[] = [
      { sub: 'nul-name', username: 'nu\u0000l' },
      { sub: 'newline-name', username: 'new\nline' },
      { sub: 'space-name', username: 'has space' },
      { sub: 'long-name', username: 'x'.repeat(256) },
      { sub: 'nul\u0000subject', username: 'fine-name' },
      { sub: 'x'.repeat(256), username: 'fine-name' },
      { sub: 'lone-\ud800-surrogate', username: 'fine-name' },
      { sub: 'nul-org', username: 'fine-name', context: 'org\u0000' },
    ];
    for (const claims of hostile) await expect401(await status(await realmA.mint(keyA, clock, claims)), JSON.stringify(claims));
    const count = await kyselyOf(server.services.store)
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('username', 'in', ['fine-name', 'has space'])
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 0);
  });

  test('an outside token that claims org owner perms never reaches the organization admin API, even with the stored role', async () => {
    const claims = { sub: 'would-be-owner', username: 'olga', context: 'outside-org', perms: ['csp:org_owner', 'csp:org_admin'] };
    const token = await realmA.mint(keyA, clock, claims);
    assert.equal((await status(token)).status, 200, 'an accepted token of a trusted issuer');
    const [row] = await usersNamed(server.services.store, 'olga');
    const user = row && (await server.services.store.principals.findById(String(row.id)));
    assert.ok(user);
    for (const path of [`${ORGS}/outside-org/mfa/policy`, `${ORGS}/outside-org/mfa/totals`, `${ORGS}/outside-org/mfa/principals`]) {
      const refused = await server.call(path, { token });
      assert.equal(expectCspError(await refused.json(), 403).errorCode, 'org_admin_required', path);
    }
    // Only tokens this server signed speak for a role: a role granted to the outside principal changes nothing.
    await setRole(server, user, 'org_owner');
    const stillRefused = await server.call(`${ORGS}/outside-org/mfa/policy`, { token: await realmA.mint(keyA, clock, claims) });
    assert.equal(expectCspError(await stillRefused.json(), 403).errorCode, 'org_admin_required');
  });
});

describe('outside principals created before issuer and subject were recorded (domain = issuer host)', () => {
  const clock = new TestClock(stepAlignedMs());

  test('finding 8.2: are re-keyed by their next token when their issuer is the only trusted one on that host', async () => {
    const solo = new OutsideIssuer(SOLO);
    await solo.start();
    const key = await makeKey('solo', 'RS256');
    solo.published = [key];
    const server = await startTestServer({ clock, config: { trustedIssuers: [solo.trusted()] } });
    try {
      const legacy = await createUser(server.services.store, clock, { username: 'gwen', domain: 'solo.example', orgId: 'outside-org' });
      const token = await solo.mint(key, clock, { sub: 'gwen-subject', username: 'gwen' });
      assert.equal((await server.call(`${MFA}/status`, { token })).status, 200);
      const rows = await usersNamed(server.services.store, 'gwen');
      assert.equal(rows.length, 1);
      assert.deepEqual([rows[0]?.id, rows[0]?.issuer, rows[0]?.subject, rows[0]?.domain], [legacy.id, SOLO, 'gwen-subject', 'solo.example']);
      // From now on the subject decides: the same name under another subject is someone else.
      const other = await solo.mint(key, clock, { sub: 'another-subject', username: 'gwen' });
      assert.equal((await server.call(`${MFA}/status`, { token: other })).status, 200);
      assert.equal((await usersNamed(server.services.store, 'gwen')).length, 2);
    } finally {
      await server.close();
      await solo.stop();
    }
  });

  test('finding 8.2: are left alone when two trusted issuers share that host (either realm could claim them)', async () => {
    const realmA = new OutsideIssuer(REALM_A);
    const realmB = new OutsideIssuer(REALM_B);
    await realmA.start();
    await realmB.start();
    const key = await makeKey('shared-host', 'RS256');
    realmA.published = [key];
    realmB.published = [key];
    const server = await startTestServer({ clock, config: { trustedIssuers: [realmA.trusted(), realmB.trusted()] } });
    try {
      const legacy = await createUser(server.services.store, clock, { username: 'hugo', domain: 'idp.example', orgId: 'outside-org' });
      const token = await realmB.mint(key, clock, { sub: 'hugo-in-b', username: 'hugo' });
      assert.equal((await server.call(`${MFA}/status`, { token })).status, 200);
      const rows = await usersNamed(server.services.store, 'hugo');
      assert.deepEqual(
        rows.map((r) => [r.domain, r.issuer ?? null]),
        [
          ['idp.example', null],
          ['idp.example/realms/b', REALM_B],
        ],
      );
      assert.equal(rows[0]?.id, legacy.id);
    } finally {
      await server.close();
      await realmA.stop();
      await realmB.stop();
    }
  });
});

describe('outside tokens: audience, authorized party and token type', () => {
  const clock = new TestClock(stepAlignedMs());
  const withAudience = new OutsideIssuer('https://aud.example/issuer');
  const withAzp = new OutsideIssuer('https://azp.example/issuer');
  let key: Key;
  let server: TestServer;
  const status = (token: string) => server.call(`${MFA}/status`, { token });

  before(async () => {
    await withAudience.start();
    await withAzp.start();
    key = await makeKey('typed', 'RS256');
    withAudience.published = [key];
    withAzp.published = [key];
    server = await startTestServer({
      clock,
      config: { trustedIssuers: [withAudience.trusted(), withAzp.trusted({ audiences: [], authorizedParties: ['mfa-portal'] })] },
    });
  });
  after(async () => {
    await server.close();
    await withAudience.stop();
    await withAzp.stop();
  });

  test('finding 8.4: a token for another audience, or for none, is a 401', async () => {
    await expect401(await status(await withAudience.mint(key, clock, { username: 'ines', aud: 'https://other-api.example' })), 'another audience');
    await expect401(
      await status(await withAudience.mint(key, clock, { username: 'ines', aud: ['https://other-api.example', 'https://third.example'] })),
      'other audiences',
    );
    await expect401(await status(await withAudience.mint(key, clock, { username: 'ines', aud: undefined })), 'no audience');
    assert.equal(
      (await status(await withAudience.mint(key, clock, { username: 'ines', aud: ['https://other-api.example', 'https://principal-mfa.example/api'] }))).status,
      200,
    );
  });

  test('finding 8.4: with an expected azp, a token of another client or of none is a 401; azp or RFC 9068 client_id may name it', async () => {
    await expect401(await status(await withAzp.mint(key, clock, { username: 'jan', aud: undefined, azp: 'some-other-app' })), 'another azp');
    await expect401(await status(await withAzp.mint(key, clock, { username: 'jan', aud: undefined })), 'no azp');
    await expect401(
      await status(await withAzp.mint(key, clock, { username: 'jan', aud: undefined, azp: 'some-other-app', client_id: 'mfa-portal' })),
      'azp wins over client_id',
    );
    assert.equal((await status(await withAzp.mint(key, clock, { username: 'jan', aud: undefined, azp: 'mfa-portal' }))).status, 200);
    assert.equal((await status(await withAzp.mint(key, clock, { username: 'jan', aud: undefined, client_id: 'mfa-portal' }))).status, 200);
  });

  test('finding 8.4: an ID token is a 401, whichever way its issuer marks it', async () => {
    const idTokens: [string, Record<string, unknown>, Record<string, unknown>?][] = [
      ['OIDC nonce', { nonce: 'n-0S6_WzA2Mj' }],
      ['OIDC at_hash', { at_hash: '77QmUPtjPfzWtF2AnpK9RQ' }],
      ['OIDC c_hash', { c_hash: 'LDktKdoQak3Pk0cnXxCltA' }],
      ['Keycloak typ ID', { typ: 'ID' }],
      ['Keycloak typ Refresh', { typ: 'Refresh' }],
      ['Cognito token_use id', { token_use: 'id' }],
    ];
    for (const [what, claims] of idTokens) await expect401(await status(await withAudience.mint(key, clock, { username: 'kim', ...claims })), what);
  });

  test('finding 8.4: a JOSE typ other than an access token is a 401; absent, JWT, at+jwt and application/at+jwt are accepted', async () => {
    for (const typ of ['JOSE', 'id_token+jwt', 'logout+jwt', 'secevent+jwt', 'dpop+jwt', 'application/jwt+id']) {
      await expect401(await status(await withAudience.mint(key, clock, { username: 'lea' }, { typ })), `typ ${typ}`);
    }
    for (const typ of [undefined, 'JWT', 'jwt', 'at+jwt', 'application/at+jwt', 'AT+JWT']) {
      assert.equal((await status(await withAudience.mint(key, clock, { username: 'lea' }, { typ }))).status, 200, `typ ${typ}`);
    }
    // Keycloak access tokens say typ Bearer in the payload, and older Keycloak versions copy the nonce into them.
    assert.equal((await status(await withAudience.mint(key, clock, { username: 'lea', typ: 'Bearer', nonce: 'n-0S6_WzA2Mj' }))).status, 200);
    assert.equal((await status(await withAudience.mint(key, clock, { username: 'lea', token_use: 'access' }))).status, 200);
  });
});
