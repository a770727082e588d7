// Recovery codes: enough entropy, readable format, and normalization that forgives only harmless typing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { RECOVERY_CODE_COUNT, generateRecoveryCodes, hashRecoveryCode, looksLikeRecoveryCode, normalizeRecoveryCode } from '../../src/mfa/recovery-codes.js';

const FORMAT = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;

test('ten distinct codes in xxxx-xxxx-xxxx-xxxx form', () => {
  assert.equal(RECOVERY_CODE_COUNT, 10);
  const codes = generateRecoveryCodes();
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const code of codes) {
    assert.match(code, FORMAT);
    assert.equal(normalizeRecoveryCode(code), code.replace(/-/g, ''));
  }
  assert.equal(generateRecoveryCodes(3).length, 3);
  assert.throws(() => generateRecoveryCodes(0), RangeError);
});

test('each code carries 80 bits: 10 random bytes, all of them used', () => {
  const sizes: number[] = [];
  const zeros = generateRecoveryCodes(1, (n) => {
    sizes.push(n);
    return new Uint8Array(n);
  });
  assert.deepEqual(sizes, [10]);
  assert.equal(zeros[0], '0000-0000-0000-0000');
  const ones = generateRecoveryCodes(1, (n) => new Uint8Array(n).fill(0xff));
  assert.equal(ones[0], 'zzzz-zzzz-zzzz-zzzz');
  // Flipping any single input bit must change the code, so no bit is dropped.
  for (let bit = 0; bit < 80; bit++) {
    const bytes = new Uint8Array(10);
    bytes[bit >> 3] = 0x80 >> (bit & 7);
    const [code] = generateRecoveryCodes(1, () => bytes);
    assert.notEqual(code, zeros[0], `bit ${bit}`);
  }
  // 16 symbols of a 32-letter alphabet is 16 * 5 = 80 bits, comfortably over the 64 required.
  assert.ok(16 * Math.log2(32) >= 64);
});

test('generation retries duplicates and gives up on a stuck random source', () => {
  let calls = 0;
  const codes = generateRecoveryCodes(2, (n) => new Uint8Array(n).fill(calls++ < 2 ? 1 : 2));
  assert.equal(new Set(codes).size, 2);
  assert.throws(() => generateRecoveryCodes(2, (n) => new Uint8Array(n)), /repeating/);
  assert.throws(() => generateRecoveryCodes(1, () => new Uint8Array(8)), /expected 10/);
});

test('normalization accepts upper case, missing dashes and stray spaces', () => {
  const [code] = generateRecoveryCodes(1, () => crypto.randomBytes(10));
  const canonical = code!.replace(/-/g, '');
  for (const typed of [
    code!,
    code!.toUpperCase(),
    canonical,
    canonical.toUpperCase(),
    ` ${code} `,
    code!.replace(/-/g, ' '),
    `${code!.slice(0, 9)}\t${code!.slice(9)}`,
  ]) {
    assert.equal(normalizeRecoveryCode(typed), canonical, JSON.stringify(typed));
    assert.equal(looksLikeRecoveryCode(typed), true);
  }
});

test('normalization rejects junk', () => {
  const junk = [
    '',
    '123456',
    'abcd-efgh-jkmn-pqr',
    'abcd-efgh-jkmn-pqrst',
    'abcd-efgh-jkmn-pqri',
    'abcd-efgh-jkmn-pqrl',
    'abcd-efgh-jkmn-pqro',
    'abcd-efgh-jkmn-pqru',
    'abcd_efgh_jkmn_pqrs',
    'abcd.efgh.jkmn.pqrs',
    'abcd-efgh-jkmn-pqr\u212A',
    'ａｂｃｄ-efgh-jkmn-pqrs',
    'abcd-efgh-jkmn-pqrs\0',
    `${'-'.repeat(100)}abcdefghjkmnpqrs`,
  ];
  for (const bad of junk) {
    assert.equal(normalizeRecoveryCode(bad), null, JSON.stringify(bad));
    assert.equal(looksLikeRecoveryCode(bad), false);
  }
  for (const bad of [null, undefined, 1234, ['abcd-efgh-jkmn-pqrs'], {}]) assert.equal(looksLikeRecoveryCode(bad), false);
});

test('hashRecoveryCode is SHA-256 hex of the normalized code only', () => {
  const normalized = 'abcdefghjkmnpqrs';
  assert.equal(hashRecoveryCode(normalized), crypto.createHash('sha256').update(normalized).digest('hex'));
  assert.match(hashRecoveryCode(normalized), /^[0-9a-f]{64}$/);
  assert.equal(hashRecoveryCode(normalizeRecoveryCode('ABCD-EFGH-JKMN-PQRS')!), hashRecoveryCode(normalized));
  assert.throws(() => hashRecoveryCode('abcd-efgh-jkmn-pqrs'), TypeError);
  assert.throws(() => hashRecoveryCode('ABCDEFGHJKMNPQRS'), TypeError);
});
