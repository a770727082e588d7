// Signing cost, A/B in one process and interleaved: jose's SignJWT (WebCrypto, libuv thread pool) against
// src/tokens/jws-signer.ts (node:crypto on a KeyObject), RS256-2048, and ES256 for reference. Process CPU
// (every thread) per token, the median of interleaved blocks: steadier than a rate on a shared machine.
// Run: node --import tsx bench/signing-ab.ts
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { signCompactJws } from '../src/tokens/jws-signer.js';
import { fmt, median } from './measure.js';

const BLOCKS = 15;
const PER_BLOCK = 40;
const claims = { context: 'org', context_name: 'org', perms: ['csp:org_member'], azp: 'principal-mfa-api-token', username: 'bench', domain: 'local' };
const registered = () => ({ iss: 'https://id.example/csp/gateway/am/api', sub: 'local:1', iat: 1_800_000_000, exp: 1_800_001_800, jti: crypto.randomUUID() });

const rsaJwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const rsaKeyObject = createPrivateKey({ key: rsaJwk, format: 'jwk' });
const rsaCryptoKey = await importJWK({ ...rsaJwk, alg: 'RS256' }, 'RS256');
const ecKeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

const variants: Record<string, () => Promise<unknown> | unknown> = {
  'jose SignJWT RS256 (before)': () =>
    new SignJWT({ ...claims, ...registered() }).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'k' }).sign(rsaCryptoKey),
  'node:crypto RS256 (after)': () => signCompactJws({ alg: 'RS256', typ: 'JWT', kid: 'k' }, { ...claims, ...registered() }, rsaKeyObject),
  'node:crypto ES256 (reference)': () => signCompactJws({ alg: 'ES256', typ: 'JWT', kid: 'k' }, { ...claims, ...registered() }, ecKeyObject),
};
const samples = new Map<string, number[]>(Object.keys(variants).map((name) => [name, []]));
for (const sign of Object.values(variants)) for (let i = 0; i < 20; i++) await sign(); // warm-up
for (let block = 0; block < BLOCKS; block++) {
  for (const [name, sign] of Object.entries(variants)) {
    const before = process.cpuUsage();
    for (let i = 0; i < PER_BLOCK; i++) await sign();
    const used = process.cpuUsage(before);
    samples.get(name)!.push((used.user + used.system) / PER_BLOCK);
  }
}
for (const [name, micros] of samples)
  process.stdout.write(`${name.padEnd(32)} ${fmt(median(micros)).padStart(6)} µs CPU per token (median of ${BLOCKS} blocks of ${PER_BLOCK})\n`);
