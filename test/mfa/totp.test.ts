// HOTP/TOTP against the RFC vectors, plus base32, passcode shape, window matching and otpauth URIs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  base32Decode,
  base32Encode,
  findMatchingStep,
  generateSecret,
  hotp,
  isWellFormedPasscode,
  otpauthUri,
  timeStep,
  totpAt,
  type TotpAlgorithm,
} from '../../src/mfa/totp.js';

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'ascii'));
const SEEDS: Record<TotpAlgorithm, Uint8Array> = {
  SHA1: ascii('12345678901234567890'),
  SHA256: ascii('12345678901234567890123456789012'),
  SHA512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};

// RFC 6238 Appendix B: [unix seconds, SHA1, SHA256, SHA512]
const RFC6238: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

test('RFC 6238 Appendix B vectors, all three algorithms, 8 digits', () => {
  assert.equal(SEEDS.SHA1.length, 20);
  assert.equal(SEEDS.SHA256.length, 32);
  assert.equal(SEEDS.SHA512.length, 64);
  for (const [seconds, sha1, sha256, sha512] of RFC6238) {
    const step = timeStep(seconds * 1000, 30);
    assert.equal(totpAt(SEEDS.SHA1, step, 8, 'SHA1'), sha1, `SHA1 @ ${seconds}`);
    assert.equal(totpAt(SEEDS.SHA256, step, 8, 'SHA256'), sha256, `SHA256 @ ${seconds}`);
    assert.equal(totpAt(SEEDS.SHA512, step, 8, 'SHA512'), sha512, `SHA512 @ ${seconds}`);
  }
});

test('RFC 4226 Appendix D HOTP vectors', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  expected.forEach((code, counter) => {
    assert.equal(hotp(SEEDS.SHA1, counter), code);
    assert.equal(hotp(SEEDS.SHA1, BigInt(counter)), code);
  });
});

test('hotp rejects bad counters, digits and algorithms', () => {
  assert.throws(() => hotp(SEEDS.SHA1, -1), RangeError);
  assert.throws(() => hotp(SEEDS.SHA1, 1.5), RangeError);
  assert.throws(() => hotp(SEEDS.SHA1, 1n << 64n), RangeError);
  assert.throws(() => hotp(SEEDS.SHA1, 0, 5), RangeError);
  assert.throws(() => hotp(SEEDS.SHA1, 0, 11), RangeError);
  assert.throws(() => hotp(SEEDS.SHA1, 0, 6, 'MD5' as TotpAlgorithm), RangeError);
  assert.throws(() => hotp(new Uint8Array(), 0), RangeError);
  assert.equal(hotp(SEEDS.SHA1, (1n << 64n) - 1n).length, 6);
});

test('timeStep floors at period boundaries', () => {
  assert.equal(timeStep(0), 0);
  assert.equal(timeStep(29_999), 0);
  assert.equal(timeStep(30_000), 1);
  assert.equal(timeStep(59_999, 60), 0);
  assert.equal(timeStep(60_000, 60), 1);
  assert.throws(() => timeStep(Number.NaN), RangeError);
  assert.throws(() => timeStep(0, 0), RangeError);
});

test('base32 RFC 4648 vectors round trip without padding', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ];
  for (const [plain, encoded] of vectors) {
    assert.equal(base32Encode(ascii(plain)), encoded);
    assert.deepEqual(base32Decode(encoded), ascii(plain));
    assert.deepEqual(base32Decode(encoded.toLowerCase()), ascii(plain));
  }
  assert.deepEqual(base32Decode('MY======'), ascii('f'));
  assert.deepEqual(base32Decode('MZXW6YQ='), ascii('foob'));
  assert.deepEqual(base32Decode('MZXW6YTBOI======'), ascii('foobar'));
  for (let i = 0; i < 50; i++) {
    const bytes = generateSecret();
    assert.deepEqual(base32Decode(base32Encode(bytes)), bytes);
  }
});

test('base32 decode rejects junk', () => {
  for (const bad of ['MZXW1', 'MZXW8', 'MZ XW', 'MZXW6=YQ', 'MY=', 'MY=======', 'MZXW6YTB========', 'M', 'MZX', 'MZXW6Y', 'MZ', 'MZXR', '\u041cY']) {
    // 'MZ' and 'MZXR' decode to non-zero leftover bits: no encoder produces them.
    assert.throws(() => base32Decode(bad), SyntaxError, bad);
  }
});

test('isWellFormedPasscode accepts exactly N ASCII digits', () => {
  assert.equal(isWellFormedPasscode('123456'), true);
  assert.equal(isWellFormedPasscode('012345'), true);
  assert.equal(isWellFormedPasscode('12345678', 8), true);
  for (const bad of ['12345', '1234567', ' 123456', '123456 ', '123456\n', '１２３４５６', '12345a', '+12345', '-12345', '١٢٣٤٥٦', '']) {
    assert.equal(isWellFormedPasscode(bad), false, JSON.stringify(bad));
  }
  for (const bad of [123456, null, undefined, ['123456'], { toString: () => '123456' }]) {
    assert.equal(isWellFormedPasscode(bad), false);
  }
  assert.equal(isWellFormedPasscode('123456', 8), false);
});

test('findMatchingStep accepts ±1 step and not ±2', () => {
  // A fixed seed and time keep this deterministic: none of these five codes collide.
  const secret = SEEDS.SHA1;
  const nowMs = 1_700_000_015_000;
  const now = timeStep(nowMs);
  const opts = { periodSeconds: 30, digits: 6, algorithm: 'SHA1' as const, window: 1 };
  const codes = [-2, -1, 0, 1, 2].map((d) => totpAt(secret, now + d, 6, 'SHA1'));
  assert.equal(new Set(codes).size, 5);
  for (const delta of [-1, 0, 1]) {
    assert.equal(findMatchingStep(secret, totpAt(secret, now + delta), nowMs, opts), now + delta, `delta ${delta}`);
  }
  for (const delta of [-2, 2]) {
    assert.equal(findMatchingStep(secret, totpAt(secret, now + delta), nowMs, opts), null, `delta ${delta}`);
  }
  assert.equal(findMatchingStep(secret, totpAt(secret, now + 1), nowMs), now + 1, 'window defaults to 1');
  assert.equal(findMatchingStep(secret, totpAt(secret, now + 2), nowMs, { window: 2 }), now + 2);
  assert.equal(findMatchingStep(secret, totpAt(secret, now - 1), nowMs, { window: 0 }), null);
  assert.equal(findMatchingStep(secret, '12345', nowMs, opts), null);
  assert.equal(findMatchingStep(secret, '１２３４５６', nowMs, opts), null);
  assert.throws(() => findMatchingStep(secret, codes[2]!, nowMs, { window: -1 }), RangeError);
});

test('findMatchingStep never looks before step 0', () => {
  const secret = SEEDS.SHA1;
  assert.equal(findMatchingStep(secret, totpAt(secret, 0), 1000), 0);
  assert.equal(findMatchingStep(secret, totpAt(secret, 1), 1000), 1);
});

test('findMatchingStep honours digits, algorithm and period', () => {
  const seed = SEEDS.SHA512;
  const nowMs = 1234567890 * 1000;
  assert.equal(findMatchingStep(seed, '93441116', nowMs, { digits: 8, algorithm: 'SHA512', periodSeconds: 30 }), timeStep(nowMs));
  assert.equal(findMatchingStep(seed, '93441116', nowMs, { digits: 8, algorithm: 'SHA1', periodSeconds: 30 }), null);
  const step60 = timeStep(nowMs, 60);
  assert.equal(findMatchingStep(seed, totpAt(seed, step60), nowMs, { periodSeconds: 60 }), step60);
});

test('generateSecret draws 20 bytes from the given source', () => {
  assert.equal(generateSecret().length, 20);
  assert.notDeepEqual(generateSecret(), generateSecret());
  let asked = 0;
  const secret = generateSecret((n) => {
    asked = n;
    return new Uint8Array(n).fill(7);
  });
  assert.equal(asked, 20);
  assert.deepEqual(secret, new Uint8Array(20).fill(7));
  assert.throws(() => generateSecret(() => new Uint8Array(10)));
});

test('otpauthUri encodes label and parameters', () => {
  const uri = otpauthUri({ secret: ascii('foobar'), accountName: 'alice@example.com', issuer: 'Acme Corp' });
  assert.equal(uri, 'otpauth://totp/Acme%20Corp:alice%40example.com?secret=MZXW6YTBOI&issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30');
  const parsed = new URL(otpauthUri({ secret: SEEDS.SHA256, accountName: 'bob&co?x=1/y', issuer: 'É&Co', algorithm: 'SHA256', digits: 8, periodSeconds: 60 }));
  assert.equal(parsed.protocol, 'otpauth:');
  assert.equal(parsed.host, 'totp');
  assert.equal(decodeURIComponent(parsed.pathname), '/É&Co:bob&co?x=1/y');
  assert.equal(parsed.searchParams.get('issuer'), 'É&Co');
  assert.equal(parsed.searchParams.get('algorithm'), 'SHA256');
  assert.equal(parsed.searchParams.get('digits'), '8');
  assert.equal(parsed.searchParams.get('period'), '60');
  assert.deepEqual(base32Decode(parsed.searchParams.get('secret')!), SEEDS.SHA256);
  assert.throws(() => otpauthUri({ secret: SEEDS.SHA1, accountName: 'a', issuer: 'a:b' }), RangeError);
  assert.throws(() => otpauthUri({ secret: SEEDS.SHA1, accountName: '', issuer: 'x' }), RangeError);
});
