// RFC 4226 HOTP / RFC 6238 TOTP, base32 and otpauth:// URIs, on node:crypto alone.
import crypto from 'node:crypto';
import { base32Encode } from './base32.js';

/** Where the TOTP tests' RFC vectors reach it; one implementation in base32.ts. */
export { base32Decode, base32Encode } from './base32.js';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpOptions {
  periodSeconds?: number;
  digits?: number;
  algorithm?: TotpAlgorithm;
  /** How many steps either side of now are accepted, to absorb clock drift. */
  window?: number;
}

const ALGORITHMS: ReadonlySet<string> = new Set(['SHA1', 'SHA256', 'SHA512']);
const MAX_COUNTER = (1n << 64n) - 1n;
export const SECRET_BYTES = 20;

function checkDigits(digits: number): void {
  // RFC 4226 asks for at least 6; the 31-bit dynamic truncation cannot fill more than 10.
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new RangeError(`digits must be an integer 6..10, got ${digits}`);
}

function checkAlgorithm(algorithm: string): void {
  if (!ALGORITHMS.has(algorithm)) throw new RangeError(`unsupported TOTP algorithm: ${algorithm}`);
}

function checkPeriod(periodSeconds: number): void {
  if (!Number.isInteger(periodSeconds) || periodSeconds < 1) throw new RangeError(`periodSeconds must be a positive integer, got ${periodSeconds}`);
}

export function hotp(secret: Uint8Array, counter: bigint | number, digits = 6, algorithm: TotpAlgorithm = 'SHA1'): string {
  checkDigits(digits);
  checkAlgorithm(algorithm);
  if (secret.length === 0) throw new RangeError('secret must not be empty');
  if (typeof counter === 'number' && !Number.isSafeInteger(counter)) throw new RangeError(`counter must be a safe integer, got ${counter}`);
  const c = BigInt(counter);
  if (c < 0n || c > MAX_COUNTER) throw new RangeError('counter must fit in an unsigned 64-bit integer');

  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(c);
  const mac = crypto.createHmac(algorithm.toLowerCase(), secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return (binary % 10 ** digits).toString().padStart(digits, '0');
}

export function timeStep(nowMs: number, periodSeconds = 30): number {
  checkPeriod(periodSeconds);
  if (!Number.isFinite(nowMs) || nowMs < 0) throw new RangeError(`nowMs must be a non-negative finite number, got ${nowMs}`);
  // One division, not two, so a whole-period boundary never rounds down into the previous step.
  return Math.floor(nowMs / (periodSeconds * 1000));
}

export function totpAt(secret: Uint8Array, step: number, digits = 6, algorithm: TotpAlgorithm = 'SHA1'): string {
  return hotp(secret, step, digits, algorithm);
}

export function isWellFormedPasscode(value: unknown, digits = 6): value is string {
  // [0-9] rather than \d, and no `m` flag, so full-width digits and trailing newlines fail.
  return typeof value === 'string' && value.length === digits && /^[0-9]+$/.test(value);
}

/**
 * The step within ±window of now whose code equals `passcode`, or null.
 * Every candidate is computed and compared so timing says nothing about which step (if any) matched.
 * If two steps share the code the later one wins: callers store it as last_used_step, and the
 * later value is the one that also blocks replaying this same string within the window.
 */
export function findMatchingStep(secret: Uint8Array, passcode: string, nowMs: number, opts: TotpOptions = {}): number | null {
  const { periodSeconds = 30, digits = 6, algorithm = 'SHA1', window = 1 } = opts;
  checkDigits(digits);
  checkAlgorithm(algorithm);
  if (!Number.isInteger(window) || window < 0 || window > 10) throw new RangeError(`window must be an integer 0..10, got ${window}`);
  const current = timeStep(nowMs, periodSeconds);
  if (!isWellFormedPasscode(passcode, digits)) return null;

  const given = Buffer.from(passcode, 'ascii');
  let matched: number | null = null;
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(totpAt(secret, step, digits, algorithm), 'ascii');
    if (crypto.timingSafeEqual(expected, given)) matched = step;
  }
  return matched;
}

export function generateSecret(randomBytes: (size: number) => Uint8Array = crypto.randomBytes): Uint8Array {
  const bytes = randomBytes(SECRET_BYTES);
  // Guards against an injected source that returns short; a short seed silently weakens every code.
  if (bytes.length !== SECRET_BYTES) throw new Error(`random source returned ${bytes.length} bytes, expected ${SECRET_BYTES}`);
  return new Uint8Array(bytes);
}

export interface OtpauthUriInput {
  secret: Uint8Array;
  accountName: string;
  issuer: string;
  algorithm?: TotpAlgorithm;
  digits?: number;
  periodSeconds?: number;
}

export function otpauthUri({ secret, accountName, issuer, algorithm = 'SHA1', digits = 6, periodSeconds = 30 }: OtpauthUriInput): string {
  checkAlgorithm(algorithm);
  checkDigits(digits);
  checkPeriod(periodSeconds);
  if (accountName === '' || issuer === '') throw new RangeError('accountName and issuer must not be empty');
  // The Key URI format splits the label on its first colon, so only the issuer is forbidden one.
  if (issuer.includes(':')) throw new RangeError('issuer must not contain a colon');
  // encodeURIComponent, not URLSearchParams: authenticator apps show a '+' for a space literally.
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const query = [
    `secret=${base32Encode(secret)}`,
    `issuer=${encodeURIComponent(issuer)}`,
    `algorithm=${algorithm}`,
    `digits=${digits}`,
    `period=${periodSeconds}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}
