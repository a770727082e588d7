// The master key file: 64 hex characters, readable by its owner only, kept outside the database.
import crypto from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

const KEY_BYTES = 32;

/** Anything wrong with the master key or its file; the CLI prints the message as it is, on one line. */
export class MasterKeyError extends Error {}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? String(err);
}

/**
 * Reads a 32-byte key stored as 64 hex characters. A file that group or others may read or write is
 * refused: whoever can read it can open every sealed secret in the store and mint tokens. Messages
 * never echo the file's content.
 */
export async function loadMasterKey(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') throw new MasterKeyError(`master key file not found: ${path}`);
    throw new MasterKeyError(`cannot read master key file ${path}: ${errorCode(err)}`);
  }
  let text: string;
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new MasterKeyError(`cannot read master key file ${path}: not a regular file`);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new MasterKeyError(`master key file ${path} is open to group or others (mode ${mode}): run chmod 600 ${path}`);
    }
    text = await handle.readFile('utf8');
  } catch (err) {
    if (err instanceof MasterKeyError) throw err;
    throw new MasterKeyError(`cannot read master key file ${path}: ${errorCode(err)}`);
  } finally {
    await handle.close();
  }
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new MasterKeyError(`master key file ${path} must contain exactly 64 hex characters (32 bytes)`);
  }
  return Buffer.from(hex, 'hex');
}

/**
 * Creates the key file once. 'wx' makes creation exclusive, so two processes starting together,
 * or a rerun, can never replace a key that secrets are already sealed under.
 */
export async function ensureMasterKeyFile(path: string): Promise<{ created: boolean }> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return { created: false };
    throw err;
  }
  try {
    await handle.writeFile(`${crypto.randomBytes(KEY_BYTES).toString('hex')}\n`);
    // A key lost in a crash after we report success would make every sealed secret unreadable.
    await handle.sync();
    await handle.close();
  } catch (err) {
    // We created this file exclusively, so removing a half-written one cannot destroy a real key.
    await handle.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw err;
  }
  return { created: true };
}
