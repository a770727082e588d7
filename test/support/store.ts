// A fresh, empty store for each test: a SQLite file in a temp folder, or (when
// PRINCIPAL_MFA_TEST_DATABASE_URL names a PostgreSQL server) a new database on that server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/storage/database.js';

export interface TestStore {
  url: string;
  store: Store;
  /** Close the store and remove what it created. */
  dispose(): Promise<void>;
}

export function testBackend(): 'sqlite' | 'postgres' {
  return process.env.PRINCIPAL_MFA_TEST_DATABASE_URL?.startsWith('postgres') ? 'postgres' : 'sqlite';
}

export async function createTestStore(): Promise<TestStore> {
  if (testBackend() === 'postgres') {
    const { createPostgresTestDatabase } = await import('./postgres.js');
    return createPostgresTestDatabase(process.env.PRINCIPAL_MFA_TEST_DATABASE_URL as string);
  }
  const dir = mkdtempSync(join(tmpdir(), 'pmfa-test-'));
  const url = `sqlite:${join(dir, 'principal-mfa.db')}`;
  const store = await openStore(url);
  return {
    url,
    store,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
