// Where the master key comes from for the commands that need it: serve (--master-key-file, or with
// --dev a key file made once) and keys rotate (--master-key-file). No other command reads it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { ensureMasterKeyFile, loadMasterKey, MasterKeyError } from '../secrets/master-key-file.js';
import { sqlitePath } from '../storage/database.js';
import { CliError } from './common.js';

export const MASTER_KEY_FILE_NAME = 'master.key';
export const MASTER_KEY_ENV = 'PRINCIPAL_MFA_MASTER_KEY_FILE';

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
  if (config.masterKeyFile) return { key: await asOperatorError(loadMasterKey(config.masterKeyFile)), path: config.masterKeyFile, created: false };
  if (!config.dev) {
    throw new CliError(
      `no master key for MFA seeds and signing keys: pass --master-key-file PATH (or set ${MASTER_KEY_ENV}) naming a file of 64 hex characters, e.g. made with \`openssl rand -hex 32 > master.key && chmod 600 master.key\`; \`serve --dev\` creates one for development`,
    );
  }
  const path = devMasterKeyPath(config.databaseUrl);
  const { created } = await ensureMasterKeyFile(path);
  return { key: await asOperatorError(loadMasterKey(path)), path, created };
}

/** The key for an admin command that signs (keys rotate): --master-key-file or the environment, never created here. */
export async function loadCommandMasterKey(command: string, file: string | undefined, env: NodeJS.ProcessEnv, databaseUrl: string): Promise<Buffer> {
  const path = file ?? (env[MASTER_KEY_ENV] || undefined);
  if (path === undefined) {
    const dev = devMasterKeyPath(databaseUrl);
    const hint = existsSync(dev) ? ` (serve --dev keeps its key in ${dev})` : '';
    throw new CliError(`${command} needs the master key that seals the signing keys: pass --master-key-file PATH (or set ${MASTER_KEY_ENV})${hint}`);
  }
  return asOperatorError(loadMasterKey(path));
}

/** A master-key problem (a refused file, a key that does not open the store) is the operator's to fix: its one-line message, exit code 2. */
export async function asOperatorError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw error instanceof MasterKeyError ? new CliError(error.message) : error;
  }
}
