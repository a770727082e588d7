// PostgreSQL test databases: a fresh, uniquely named database per test store on a real server, dropped on dispose.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/storage/database.js';
import type { TestStore } from './store.js';

/** The same server URL with another database name. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database (name is generated, so safe to quote as an identifier). */
export async function createPostgresDatabase(serverUrl: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `pmfa_test_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  await admin(serverUrl, (c) => c.query(`create database "${name}"`));
  return {
    name,
    url: withDatabase(serverUrl, name),
    // FORCE ends connections a failed test may have left open.
    drop: () => admin(serverUrl, (c) => c.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}

export async function createPostgresTestDatabase(serverUrl: string): Promise<TestStore> {
  const database = await createPostgresDatabase(serverUrl);
  let store;
  try {
    store = await openStore(database.url);
  } catch (error) {
    await database.drop();
    throw error;
  }
  const opened = store;
  return {
    url: database.url,
    store: opened,
    async dispose() {
      await opened.close().catch(() => undefined);
      await database.drop();
    },
  };
}
