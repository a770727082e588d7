// Versioned migrations, applied in order at start-up by every process that opens the store.
import { type Kysely, type Migration, Migrator } from 'kysely';
import * as m001 from './migrations/001-principals-and-tokens.js';
import * as m002 from './migrations/002-mfa-and-audit.js';
import * as m003 from './migrations/003-outside-principal-subjects.js';
import * as m004 from './migrations/004-lockout-escalation.js';
import * as m005 from './migrations/005-audit-keyset.js';
import * as m006 from './migrations/006-signing-keys-generation.js';
import * as m007 from './migrations/007-oidc-sign-in.js';
import * as m008 from './migrations/008-webauthn-authenticators.js';
import * as m009 from './migrations/009-org-mfa-policy.js';
import * as m010 from './migrations/010-es256-id-tokens.js';
import * as m011 from './migrations/011-finished-sign-ins.js';

/** Static list, so the build needs no file-system scan and migrations ship inside dist/. */
const MIGRATIONS: Record<string, Migration> = {
  '001-principals-and-tokens': m001,
  '002-mfa-and-audit': m002,
  '003-outside-principal-subjects': m003,
  '004-lockout-escalation': m004,
  '005-audit-keyset': m005,
  '006-signing-keys-generation': m006,
  '007-oidc-sign-in': m007,
  '008-webauthn-authenticators': m008,
  '009-org-mfa-policy': m009,
  '010-es256-id-tokens': m010,
  '011-finished-sign-ins': m011,
};

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Database migration ${failed} failed`, { cause: error });
  }
}
