// PostgreSQL store: not yet available in this build.
import type { Store } from './database.js';

export async function openPostgres(_url: string): Promise<Store> {
  throw new Error('PostgreSQL support is not built yet; use a sqlite: database URL');
}
