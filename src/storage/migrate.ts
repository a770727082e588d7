// Versioned migrations, applied in order at start-up by every process that opens the store.
import { type Kysely, type Migration, Migrator } from 'kysely';
import * as m001 from './migrations/001-principals-and-tokens.js';
import * as m002 from './migrations/002-mfa-and-audit.js';
import * as m005 from './migrations/005-audit-keyset.js';

/** Static list, so the build needs no file-system scan and migrations ship inside dist/. */
const MIGRATIONS: Record<string, Migration> = {
  '001-principals-and-tokens': m001,
  '002-mfa-and-audit': m002,
  '005-audit-keyset': m005,
};

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed`, { cause: error });
  }
}
