// AES-256-GCM for TOTP seeds at rest, under a master key kept in a file outside the database.
import crypto from 'node:crypto';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? String(err);
}

/** Reads a 32-byte key stored as 64 hex characters; messages never echo the file's content. */
export async function loadMasterKey(path: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') throw new Error(`master key file not found: ${path}`);
    throw new Error(`cannot read master key file ${path}: ${errorCode(err)}`);
  }
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new Error(`master key file ${path} must contain exactly 64 hex characters (32 bytes)`);
  }
  return Buffer.from(hex, 'hex');
}

/**
 * Creates the key file once. 'wx' makes creation exclusive, so two processes starting together,
 * or a rerun, can never replace a key that seeds are already encrypted under.
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
    // A key lost in a crash after we report success would make every stored seed unreadable.
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

function checkKey(masterKey: Buffer): void {
  if (masterKey.length !== KEY_BYTES) throw new RangeError(`master key must be ${KEY_BYTES} bytes, got ${masterKey.length}`);
}

function checkAad(associatedData: string): void {
  // An empty user id would bind the ciphertext to nobody, which defeats the point of the AAD.
  if (associatedData === '') throw new RangeError('associatedData must not be empty');
}

/** `v1.<iv>.<ciphertext>.<tag>`, base64url; the AAD (user id) stops a seed being moved to another row. */
export function encryptSeed(masterKey: Buffer, seed: Uint8Array, associatedData: string): string {
  checkKey(masterKey);
  checkAad(associatedData);
  if (seed.length === 0) throw new RangeError('seed must not be empty');
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(seed), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, ciphertext, tag].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** Node's base64url decoder skips junk and ignores stray bits; demanding the canonical form makes every edit fail. */
function strictBase64url(part: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return null;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : null;
}

export function decryptSeed(masterKey: Buffer, ciphertext: string, associatedData: string): Uint8Array {
  checkKey(masterKey);
  checkAad(associatedData);
  const parts = ciphertext.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new Error('malformed seed ciphertext');
  const [iv, data, tag] = parts.slice(1).map(strictBase64url);
  if (!iv || !data || !tag || iv.length !== IV_BYTES || data.length === 0 || tag.length !== TAG_BYTES) {
    throw new Error('malformed seed ciphertext');
  }
  const decipher = crypto.createDecipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return new Uint8Array(Buffer.concat([decipher.update(data), decipher.final()]));
  } catch {
    throw new Error('seed ciphertext failed authentication (wrong key, wrong user, or tampered)');
  }
}
