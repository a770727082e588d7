// The gate's batched read on a real PostgreSQL server: the reads of one event-loop turn share one statement and
// each gets its own row; keys of any shape are one array element; a change committed before a read is asked for
// is what it sees, even with an earlier batch in flight; a failed batch rejects every read in it and the next works.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { createUser } from '../../src/principals/users.js';
import { openStore } from '../../src/storage/database.js';
import { type BatchedStatement, createBatchedRead, textArrayLiteral } from '../../src/storage/postgres-batched-read.js';
import { sharedServerUrls } from '../support/infra.js';
import { createPostgresTestDatabase } from '../support/postgres.js';
import type { TestStore } from '../support/store.js';

describe('PostgreSQL batched reads', { concurrency: false }, () => {
  let testStore: TestStore;
  let pool: pg.Pool;
  let checkouts = 0;
  before(async () => {
    const server = process.env.PRINCIPAL_MFA_TEST_DATABASE_URL?.startsWith('postgres')
      ? process.env.PRINCIPAL_MFA_TEST_DATABASE_URL
      : sharedServerUrls().postgres;
    testStore = await createPostgresTestDatabase(server);
    pool = new pg.Pool({ connectionString: testStore.url, max: 2 });
    pool.on('acquire', () => checkouts++);
  });
  after(async () => {
    await pool.end();
    await testStore.dispose();
  });

  /** Echoes each key of the batch with the batch's size: `[key, size]`. */
  const echo: BatchedStatement<[string, number]> = {
    name: 'test:echo',
    text: 'select k, count(*) over () from unnest($1::text[]) as k',
    toRow: (v) => [v[0] as string, Number(v[1])],
  };

  it('answers the reads of one turn from one statement, each with a row of its own, duplicates included', async () => {
    const read = createBatchedRead(pool, echo);
    const before = checkouts;
    const rows = await Promise.all(['a', 'b', 'c', 'a'].map(read));
    assert.deepEqual(rows, [
      ['a', 3],
      ['b', 3],
      ['c', 3],
      ['a', 3],
    ]);
    assert.notEqual(rows[0], rows[3], 'two reads of one key never share a row object');
    assert.equal(checkouts - before, 1, 'one pool checkout for the turn');
    assert.deepEqual(await read('d'), ['d', 1], 'a later turn is a batch of its own');
  });

  it('keeps keys of any shape one element each: quotes, backslashes, commas, braces, NULL, empty', async () => {
    const keys = ['x"y', 'back\\slash', 'a,b', '{c}', 'NULL', '', ' space ', 'é'];
    assert.equal(textArrayLiteral([]), '{}');
    const read = createBatchedRead(pool, echo);
    const rows = await Promise.all(keys.map(read));
    assert.deepEqual(
      rows.map((r) => r?.[0]),
      keys,
    );
    assert.ok(rows.every((r) => r?.[1] === keys.length));
  });

  it('answers undefined for a key with no row, beside keys with rows', async () => {
    const { store } = testStore;
    const user = await createUser(store, systemClock, { username: 'batched-1' });
    const [found, missing] = await Promise.all([store.principals.findByIdWithMfaState(user.id), store.principals.findByIdWithMfaState('no-such-user"\\')]);
    assert.equal(found?.user.username, 'batched-1');
    assert.equal(missing, undefined);
  });

  it('sees a disable committed before the read was asked for, even with an earlier batch still on its way', async () => {
    const { store, url } = testStore;
    const user = await createUser(store, systemClock, { username: 'batched-2' });
    const cli = await openStore(url);
    try {
      const earlier = store.principals.findByIdWithMfaState(user.id);
      await cli.principals.setEnabled(user.id, false);
      const next = store.principals.findByIdWithMfaState(user.id);
      assert.equal((await earlier)?.user.enabled !== undefined, true);
      assert.equal((await next)?.user.enabled, false);
      await cli.principals.delete(user.id);
      assert.equal(await store.principals.findByIdWithMfaState(user.id), undefined);
    } finally {
      await cli.close();
    }
  });

  it('rejects every read of a batch the server refuses (those whose rows it had not sent yet), and the next batch is answered', async () => {
    const divide: BatchedStatement<string> = { name: 'test:divide', text: 'select k, 1 / (k::int) from unnest($1::text[]) as k', toRow: (v) => String(v[1]) };
    const read = createBatchedRead(pool, divide);
    const [one, zero, two] = await Promise.allSettled(['1', '0', '2'].map(read));
    // The server sends rows as it makes them: the row before the failing one may have arrived, and it is right.
    if (one?.status === 'fulfilled') assert.equal(one.value, '1');
    for (const r of [zero, two]) assert.ok(r?.status === 'rejected' && /division by zero/.test(String(r.reason)));
    assert.deepEqual(await Promise.all(['1', '2'].map(read)), ['1', '0']);
  });

  it('rejects every read of a batch whose rows cannot be mapped, and the connection answers the next batch', async () => {
    const picky: BatchedStatement<string> = {
      name: 'test:picky',
      text: 'select k from unnest($1::text[]) as k',
      toRow: ([k]) => {
        if (k === 'bad') throw new Error('unexpected bad');
        return k as string;
      },
    };
    const single = new pg.Pool({ connectionString: testStore.url, max: 1 });
    try {
      const read = createBatchedRead(single, picky);
      const results = await Promise.allSettled(['bad', 'fine'].map(read));
      assert.ok(results.every((r) => r.status === 'rejected'));
      assert.deepEqual(await Promise.all(['ok', 'fine'].map(read)), ['ok', 'fine']);
    } finally {
      await single.end();
    }
  });

  it('rejects every read, never leaving one waiting, when no connection can be made', async () => {
    const unreachable = new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2_000 });
    try {
      const read = createBatchedRead(unreachable, echo);
      const results = await Promise.allSettled(['a', 'b'].map(read));
      assert.ok(results.every((r) => r.status === 'rejected'));
    } finally {
      await unreachable.end();
    }
  });
});
