// Where the seed master key comes from when serving: --master-key-file, or (with --dev) a key file made once.
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { sqlitePath } from '../storage/database.js';
import { ensureMasterKeyFile, loadMasterKey } from './seed-crypto.js';

export const MASTER_KEY_FILE_NAME = 'master.key';

export class MasterKeyMissingError extends Error {}

/** Next to the SQLite file, or ./data/ for an in-memory or non-SQLite store. */
export function devMasterKeyPath(databaseUrl: string): string {
  const path = sqlitePath(databaseUrl);
  const folder = path === undefined || path === '' || path === ':memory:' ? resolve('data') : dirname(resolve(path));
  return join(folder, MASTER_KEY_FILE_NAME);
}

/**
 * The key for `serve`. A configured file must exist and hold 64 hex characters; without one, only
 * --dev may create a key (never overwriting one), because a key made silently in production would
 * sit next to the data it protects and be lost or replaced by the next deployment.
 */
export async function resolveServeMasterKey(config: Config): Promise<{ key: Buffer; path: string; created: boolean }> {
  if (config.masterKeyFile) return { key: await loadMasterKey(config.masterKeyFile), path: config.masterKeyFile, created: false };
  if (!config.dev) {
    throw new MasterKeyMissingError(
      'no master key for MFA seeds: pass --master-key-file PATH (or set PRINCIPAL_MFA_MASTER_KEY_FILE) naming a file of 64 hex characters, e.g. made with `openssl rand -hex 32 > master.key && chmod 600 master.key`; `serve --dev` creates one for development',
    );
  }
  const path = devMasterKeyPath(config.databaseUrl);
  const { created } = await ensureMasterKeyFile(path);
  return { key: await loadMasterKey(path), path, created };
}
