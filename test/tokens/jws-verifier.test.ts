// The synchronous RS256 check behind csp-auth-token verification (src/tokens/jws-verifier.ts): only a plain RSA
// public key of 2,048 bits or more verifies, and nothing it is given makes it throw.
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeJsonObject, isValidRs256Signature } from '../../src/tokens/jws-verifier.js';

const input = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0';
const rs256 = (privateKey: Parameters<typeof sign>[2]) => sign('sha256', Buffer.from(input), privateKey).toString('base64url');

describe('isValidRs256Signature', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('accepts an RS256 signature under its public key, and refuses it for other input', () => {
    assert.equal(isValidRs256Signature(input, rs256(rsa.privateKey), rsa.publicKey), true);
    assert.equal(isValidRs256Signature(`${input}x`, rs256(rsa.privateKey), rsa.publicKey), false);
  });

  it('refuses a key shorter than 2,048 bits even when the signature is right', () => {
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.equal(isValidRs256Signature(input, rs256(short.privateKey), short.publicKey), false);
  });

  it('refuses an RSA-PSS key, an EC key and a private key in place of the public one', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const pssSignature = sign('sha256', Buffer.from(input), { key: pss.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING }).toString('base64url');
    assert.equal(isValidRs256Signature(input, pssSignature, pss.publicKey), false);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.equal(isValidRs256Signature(input, sign('sha256', Buffer.from(input), ec.privateKey).toString('base64url'), ec.publicKey), false);
    assert.equal(isValidRs256Signature(input, rs256(rsa.privateKey), rsa.privateKey), false);
  });

  it('answers false, never throws, for empty, short, long and garbage signatures', () => {
    for (const signature of ['', 'AA', 'A'.repeat(700), '!!!', rs256(rsa.privateKey).slice(1)])
      assert.equal(isValidRs256Signature(input, signature, rsa.publicKey), false, signature.slice(0, 10));
  });
});

describe('decodeJsonObject', () => {
  it('gives JSON objects only: arrays, strings, numbers, null and broken JSON are undefined', () => {
    assert.deepEqual(decodeJsonObject(Buffer.from('{"a":1}').toString('base64url')), { a: 1 });
    for (const text of ['[]', '"x"', '1', 'null', 'true', '{', '']) assert.equal(decodeJsonObject(Buffer.from(text).toString('base64url')), undefined, text);
  });
});
