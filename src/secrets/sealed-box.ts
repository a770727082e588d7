// AES-256-GCM under the master key for every secret the store keeps (TOTP seeds, private signing keys).
import crypto from 'node:crypto';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

function checkKey(masterKey: Buffer): void {
  if (masterKey.length !== KEY_BYTES) throw new RangeError(`master key must be ${KEY_BYTES} bytes, got ${masterKey.length}`);
}

function checkAad(associatedData: string): void {
  // An empty row id would bind the ciphertext to nothing, which defeats the point of the AAD.
  if (associatedData === '') throw new RangeError('associatedData must not be empty');
}

/** True for text in the sealed format (as opposed to, say, a plaintext JWK written by an older version). */
export function isSealed(text: string): boolean {
  return text.startsWith(`${VERSION}.`);
}

/**
 * `v1.<iv>.<ciphertext>.<tag>`, base64url. The AAD is the id of the row the secret belongs to (a user
 * id, a kid), so that a ciphertext copied into another row fails to open.
 */
export function sealSecret(masterKey: Buffer, plaintext: Uint8Array, associatedData: string): string {
  checkKey(masterKey);
  checkAad(associatedData);
  if (plaintext.length === 0) throw new RangeError('plaintext must not be empty');
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, ciphertext, tag].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** Node's base64url decoder skips junk and ignores stray bits; demanding the canonical form makes every edit fail. */
function strictBase64url(part: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return null;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : null;
}

export function openSecret(masterKey: Buffer, sealed: string, associatedData: string): Uint8Array {
  checkKey(masterKey);
  checkAad(associatedData);
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new Error('malformed ciphertext');
  const [iv, data, tag] = parts.slice(1).map(strictBase64url);
  if (!iv || !data || !tag || iv.length !== IV_BYTES || data.length === 0 || tag.length !== TAG_BYTES) {
    throw new Error('malformed ciphertext');
  }
  const decipher = crypto.createDecipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return new Uint8Array(Buffer.concat([decipher.update(data), decipher.final()]));
  } catch {
    throw new Error('ciphertext failed authentication (wrong master key, wrong row, or tampered)');
  }
}
