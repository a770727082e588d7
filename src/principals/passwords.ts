// Password hashing with scrypt (node:crypto), in a self-describing PHC-like string format:
//   scrypt$<log2 N>$<r>$<p>$<salt base64url>$<hash base64url>
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const FORMAT = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/;

/**
 * Bounds on stored parameters (docs/import.md). Work grows with N·r·p and memory with 128·N·r, so one
 * product bound caps both: at most 2^20, OWASP's recommended N=2^17, r=8, p=1 (128 MiB, four times our
 * own hashes). Without it an imported `scrypt$20$99$99$…` would ask 12 GiB and 99 passes per check.
 */
export const SCRYPT_LIMITS = { minLogN: 14, maxLogN: 20, maxR: 16, maxP: 16, maxCost: 2 ** 20 } as const;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, LOG_N, R, P);
  return `scrypt$${LOG_N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Why a stored hash is unusable, or undefined when it is a well-formed hash within SCRYPT_LIMITS. */
export function passwordHashProblem(value: string): string | undefined {
  const m = FORMAT.exec(value);
  if (m === null) return 'passwordHash must be scrypt$logN$r$p$salt$hash (see docs/import.md)';
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const { minLogN, maxLogN, maxR, maxP, maxCost } = SCRYPT_LIMITS;
  if (logN < minLogN || logN > maxLogN || r < 1 || r > maxR || p < 1 || p > maxP || 2 ** logN * r * p > maxCost) {
    return `passwordHash scrypt parameters are beyond the maxima: log2 N ${minLogN}-${maxLogN}, r 1-${maxR}, p 1-${maxP}, N*r*p at most 2^20 (see docs/import.md)`;
  }
  return undefined;
}

export function isPasswordHash(value: string): boolean {
  return passwordHashProblem(value) === undefined;
}

/** Constant-time check; an absent, malformed or out-of-bounds stored hash never matches (and costs nothing). */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (stored === null || !isPasswordHash(stored)) return false;
  const [, logN, r, p, salt, hash] = FORMAT.exec(stored) as unknown as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(logN), Number(r), Number(p));
  return timingSafeEqual(actual, expected);
}
