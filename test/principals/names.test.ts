// The one set of name rules: what a username, an org id and a client name may hold, at the edges.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidClientName, isValidOrgId, isValidUsername, MAX_NAME_LENGTH } from '../../src/principals/names.js';

const CONTROL = ['\u0000', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u200b', '\u2028'];

describe('isValidUsername', () => {
  it('accepts letters, digits and . _ @ + - from 1 to 255 characters', () => {
    for (const name of ['a', 'Z', '7', 'alice', 'alice.smith_2', 'alice+mfa@example.com', '-_.@+', 'a'.repeat(MAX_NAME_LENGTH)]) {
      assert.equal(isValidUsername(name), true, name);
    }
  });

  it('refuses the empty name, 256 characters, spaces, other punctuation and any letter outside ASCII', () => {
    for (const name of [
      '',
      'a'.repeat(MAX_NAME_LENGTH + 1),
      'has space',
      ' alice',
      'alice ',
      'a/b',
      'a:b',
      'a#b',
      'a,b',
      'ålice',
      'аlice',
      'ａlice',
      'emoji🙂',
    ]) {
      assert.equal(isValidUsername(name), false, JSON.stringify(name));
    }
  });

  it('refuses control, format and line-separator characters anywhere', () => {
    for (const ch of CONTROL) {
      for (const name of [ch, `${ch}alice`, `alice${ch}`, `al${ch}ice`]) assert.equal(isValidUsername(name), false, JSON.stringify(name));
    }
  });

  it('refuses anything that is not a string', () => {
    for (const value of [undefined, null, 42, true, ['alice'], { username: 'alice' }]) assert.equal(isValidUsername(value), false, String(value));
  });
});

describe('isValidOrgId', () => {
  it('accepts letters, digits and . _ - from 1 to 255 characters', () => {
    for (const org of ['default', 'acme', 'ACME-corp_2.eu', '0', 'o'.repeat(MAX_NAME_LENGTH)]) assert.equal(isValidOrgId(org), true, org);
  });

  it('refuses what a username may hold but an org may not (@ and +), the empty id, 256 characters and control characters', () => {
    for (const org of ['a@b', 'a+b', '', 'o'.repeat(MAX_NAME_LENGTH + 1), 'bad org!', 'é', ...CONTROL, `acme${CONTROL[0]}`]) {
      assert.equal(isValidOrgId(org), false, JSON.stringify(org));
    }
    assert.equal(isValidOrgId(undefined), false);
    assert.equal(isValidOrgId(7), false);
  });
});

describe('isValidClientName', () => {
  it('accepts any text from 1 to 255 characters: it is only shown', () => {
    for (const name of ['robot', 'CI pipeline (nightly)', 'é', 'n'.repeat(MAX_NAME_LENGTH)]) assert.equal(isValidClientName(name), true, name);
  });

  it('refuses the empty name, 256 characters and anything that is not a string', () => {
    for (const value of ['', 'n'.repeat(MAX_NAME_LENGTH + 1), undefined, 3]) assert.equal(isValidClientName(value), false, String(value));
  });
});
