// The admin CLI for organizations, on a real store (SQLite file, or PostgreSQL in the second run).
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { walkPrincipals } from '../../src/org-admin/listing.js';
import { runCliInProcess } from '../support/cli.js';
import { createTestStore, type TestStore } from '../support/store.js';
import { REQUIRE_EXCHANGE } from './support.js';

describe('the organization CLI', () => {
  let testStore: TestStore;
  const cli = (...args: string[]) => runCliInProcess([...args, '--database', testStore.url]);
  const cliIn = (stdin: string, ...args: string[]) => runCliInProcess([...args, '--database', testStore.url], stdin);
  before(async () => {
    testStore = await createTestStore();
  });
  after(() => testStore.dispose());

  it('creates an owner with --role, grants roles, and refuses an unknown role', async () => {
    assert.equal((await cli('users', 'create', '--username', 'olga', '--org', 'acme', '--role', 'org_owner')).code, 0);
    assert.equal((await cli('users', 'create', '--username', 'max', '--org', 'acme')).code, 0);
    const granted = await cli('users', 'grant', '--username', 'max', '--role', 'org_admin', '--json');
    assert.equal(granted.code, 0, granted.stderr);
    assert.deepEqual({ ...JSON.parse(granted.stdout), id: undefined }, { id: undefined, username: 'max', domain: 'local', orgId: 'acme', role: 'org_admin' });
    const bad = await cli('users', 'grant', '--username', 'max', '--role', 'root');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--role is one of org_owner, org_admin, org_member/);
  });

  it('lists principals as JSON Lines, by org and MFA state, and shows one', async () => {
    await cli('users', 'create', '--username', 'zed', '--org', 'other');
    const acme = await cli('users', 'list', '--org', 'acme', '--json');
    assert.equal(acme.code, 0, acme.stderr);
    const lines = acme.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((p) => [p.username, p.orgId, p.role, p.turnedOn]),
      [
        ['max', 'acme', 'org_admin', false],
        ['olga', 'acme', 'org_owner', false],
      ],
    );
    const all = (await cli('users', 'list', '--json')).stdout.trim().split('\n');
    assert.equal(all.length, 3);
    // Across organizations the keyset is (org, username, id): pages of one row give the same walk.
    const walked = [];
    for await (const p of walkPrincipals({ store: testStore.store, nowMs: Date.now() }, {}, 1)) walked.push(`${p.orgId}/${p.username}`);
    assert.deepEqual(walked, ['acme/max', 'acme/olga', 'other/zed']);
    assert.equal((await cli('users', 'list', '--mfa', 'on', '--json')).stdout, '');
    assert.equal((await cli('users', 'list', '--mfa', 'maybe')).code, 2);
    const shown = await cli('users', 'show', '--username', 'olga', '--json');
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).principal.role, 'org_owner');
    assert.deepEqual(JSON.parse(shown.stdout).auditEvents, []);
  });

  it('shows the default policy, sets one from a file or standard input, and refuses an invalid one', async () => {
    const shown = await cli('orgs', 'policy', 'show', '--org', 'acme', '--json');
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).mfaRequired.apiTokenExchange, false);

    const dir = mkdtempSync(join(tmpdir(), 'pmfa-policy-'));
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ ...REQUIRE_EXCHANGE, gracePeriodDays: 14 }));
    const set = await cli('orgs', 'policy', 'set', '--org', 'acme', '--file', file);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(JSON.parse((await cli('orgs', 'policy', 'show', '--org', 'acme', '--json')).stdout).gracePeriodDays, 14);

    const fromStdin = await cliIn(
      JSON.stringify({ ...REQUIRE_EXCHANGE, gracePeriodDays: 3 }),
      'orgs',
      'policy',
      'set',
      '--org',
      'acme',
      '--file',
      '-',
      '--json',
    );
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.equal(JSON.parse(fromStdin.stdout).updatedBy, 'admin');

    const invalid = await cliIn(JSON.stringify({ ...REQUIRE_EXCHANGE, gracePeriodDays: -1 }), 'orgs', 'policy', 'set', '--org', 'acme', '--file', '-');
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /the policy is invalid: \/gracePeriodDays/);
    assert.equal(JSON.parse((await cli('orgs', 'policy', 'show', '--org', 'acme', '--json')).stdout).gracePeriodDays, 3, 'unchanged');
    const events = await testStore.store.orgAudit.latest('acme', 10);
    assert.deepEqual(
      events.map((e) => [e.action, e.actor]),
      [
        ['ORG_POLICY_UPDATE', 'admin'],
        ['ORG_POLICY_UPDATE', 'admin'],
        ['ORG_ROLE_GRANT', 'admin'],
        ['ORG_ROLE_GRANT', 'admin'],
      ],
    );
  });

  it('answers a wrong orgs form with its usage line', async () => {
    const res = await cli('orgs', 'policy', 'drop', '--org', 'acme');
    assert.equal(res.code, 2);
    assert.match(res.stderr, /usage: principal-mfa orgs policy show/);
  });
});
