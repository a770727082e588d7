// One-time recovery codes: generation, forgiving normalization of what users type, and hashing.
import crypto from 'node:crypto';
import { base32Encode, CROCKFORD_BASE32_ALPHABET as ALPHABET } from './base32.js';

export const RECOVERY_CODE_COUNT = 10;

const CODE_BYTES = 10; // 80 bits, exactly 16 five-bit characters, so no modulo bias
const CODE_CHARS = 16;
const GROUP = 4;
const MAX_INPUT_LENGTH = 64;
// Both cases spelled out rather than the `i` flag, so only ASCII letters can ever match.
const CODE_PATTERN = new RegExp(`^[${ALPHABET}${ALPHABET.toUpperCase()}]{${CODE_CHARS}}$`);

function format(code: string): string {
  const groups: string[] = [];
  for (let i = 0; i < code.length; i += GROUP) groups.push(code.slice(i, i + GROUP));
  return groups.join('-');
}

/** Codes as shown to the user once, `xxxx-xxxx-xxxx-xxxx`; store only their hashes. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT, randomBytes: (size: number) => Uint8Array = crypto.randomBytes): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new RangeError(`count must be an integer 1..100, got ${count}`);
  const seen = new Set<string>();
  // Duplicates are astronomically unlikely from a CSPRNG; the bound stops a broken source looping forever.
  for (let attempts = 0; seen.size < count; attempts++) {
    if (attempts >= count * 4) throw new Error('random source keeps repeating itself');
    const bytes = randomBytes(CODE_BYTES);
    if (bytes.length !== CODE_BYTES) throw new Error(`random source returned ${bytes.length} bytes, expected ${CODE_BYTES}`);
    seen.add(base32Encode(bytes, ALPHABET));
  }
  return [...seen].map(format);
}

/**
 * The canonical form to hash, or null. Checked as ASCII before lowercasing, because Unicode case
 * mapping would otherwise let look-alikes such as the Kelvin sign (U+212A) turn into a valid 'k'.
 */
export function normalizeRecoveryCode(input: string): string | null {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return null;
  const stripped = input.replace(/[\s-]+/g, '');
  return CODE_PATTERN.test(stripped) ? stripped.toLowerCase() : null;
}

/**
 * SHA-256 hex of a normalized code. A fast unsalted hash is enough here: each code carries 80 random
 * bits, so guessing from a leaked hash is infeasible however fast the hash is, and a slow KDF would
 * only cost CPU on every login attempt. Refuses non-normalized input, whose hash could never match.
 */
export function hashRecoveryCode(normalized: string): string {
  if (normalizeRecoveryCode(normalized) !== normalized) throw new TypeError('hashRecoveryCode expects a normalized recovery code');
  return crypto.createHash('sha256').update(normalized, 'utf8').digest('hex');
}

/** Lets one input field take either a TOTP passcode or a recovery code. */
export function looksLikeRecoveryCode(input: unknown): boolean {
  return typeof input === 'string' && normalizeRecoveryCode(input) !== null;
}
