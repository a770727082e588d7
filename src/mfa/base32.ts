// Base32 (RFC 4648) for TOTP secrets, and the same packing over Crockford's alphabet for recovery codes.

/** RFC 4648's alphabet: TOTP secrets (otpauth:// URIs, the key typed into an authenticator app). */
export const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Crockford's, lowercase: no i, l, o or u, so recovery codes survive being read aloud or copied by hand. */
export const CROCKFORD_BASE32_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Unpadded; a last partial group of bits is filled with zeros. */
export function base32Encode(bytes: Uint8Array, alphabet = BASE32_ALPHABET): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(buffer >>> bits) & 0x1f];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 0x1f];
  return out;
}

/**
 * Strict RFC 4648 decoding: case-insensitive, padding optional but must be correct when present,
 * and non-canonical input (impossible lengths, non-zero leftover bits) is refused so each secret
 * has exactly one spelling.
 */
export function base32Decode(text: string): Uint8Array {
  const padStart = text.indexOf('=');
  const body = padStart === -1 ? text : text.slice(0, padStart);
  if (padStart !== -1 && (!/^=+$/.test(text.slice(padStart)) || text.length % 8 !== 0)) {
    throw new SyntaxError('invalid base32 padding');
  }
  const upper = body.toUpperCase();
  if (!/^[A-Z2-7]*$/.test(upper)) throw new SyntaxError('invalid base32 character');
  if ([1, 3, 6].includes(upper.length % 8)) throw new SyntaxError('invalid base32 length');
  if (padStart !== -1 && text.length - padStart >= 8) throw new SyntaxError('invalid base32 padding');

  const out = new Uint8Array(Math.floor((upper.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of upper) {
    buffer = ((buffer << 5) | BASE32_ALPHABET.indexOf(char)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >>> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) throw new SyntaxError('invalid base32: non-zero trailing bits');
  return out;
}
