// Compact JWS verification of our own RS256 access tokens with a synchronous crypto.verify on a KeyObject.
// jose verifies through WebCrypto: measured here, its jwtVerify costs the event loop's thread ~125 µs of CPU
// per RS256-2048 token (and the process ~200 µs, the thread pool included), where a synchronous crypto.verify
// with these checks costs ~55–65 µs in all (issue 14, item 4): the thread pool costs the loop more than it saves.
// jose has no synchronous API, so the few JWS/JWT rules that apply to our tokens are written out here and
// the hostile-token tests (test/tokens/hostile-tokens.test.ts) hold them to jose's refusals and beyond.
import { type KeyObject, verify } from 'node:crypto';

/** RSA keys shorter than this never verify (jose's rule for RS256 too). */
const MIN_RSA_MODULUS_BITS = 2048;

/** The JSON object a base64url segment holds, or undefined when it is not one (arrays, strings and null are not). */
export function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `signature` is the RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of `signingInput` under `key`.
 * The key must be a plain RSA public key of at least 2048 bits; an RSA-PSS or EC key never verifies here.
 */
export function isValidRs256Signature(signingInput: string, signature: string, key: KeyObject): boolean {
  if (key.type !== 'public' || key.asymmetricKeyType !== 'rsa') return false;
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_MODULUS_BITS) return false;
  try {
    return verify('sha256', Buffer.from(signingInput), key, Buffer.from(signature, 'base64url'));
  } catch {
    return false; // whatever OpenSSL refuses to even check is not a valid signature (and never a 500)
  }
}
