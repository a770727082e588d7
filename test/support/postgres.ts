// PostgreSQL test databases: not available until the PostgreSQL store is built.
import type { TestStore } from './store.js';

export async function createPostgresTestDatabase(_serverUrl: string): Promise<TestStore> {
  throw new Error('PostgreSQL test databases are not supported yet');
}
