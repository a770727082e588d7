// The WebAuthn relying party from configuration: the flags, else the public URL (loopback becomes localhost).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { relyingPartyOf } from '../../src/authenticators/relying-party.js';
import { DEFAULTS } from '../../src/config.js';

describe('the WebAuthn relying party', () => {
  it('defaults to the public URL: its host as RP id, its origin', () => {
    const rp = relyingPartyOf({ ...DEFAULTS, publicUrl: 'https://mfa.example.com:8443' });
    assert.deepEqual(rp, { name: 'principal-mfa', id: 'mfa.example.com', origin: 'https://mfa.example.com:8443' });
  });

  it('derives the public URL from the issuer when none is set', () => {
    const rp = relyingPartyOf({ ...DEFAULTS, issuer: 'https://auth.example.org/csp/gateway/am/api' });
    assert.deepEqual([rp.id, rp.origin], ['auth.example.org', 'https://auth.example.org']);
  });

  it('turns a loopback address (the --dev quick start) into localhost, keeping the port', () => {
    const rp = relyingPartyOf({ ...DEFAULTS, dev: true, host: '127.0.0.1', port: 8080 });
    assert.deepEqual([rp.id, rp.origin], ['localhost', 'http://localhost:8080']);
  });

  it('takes --webauthn-rp-id and --webauthn-origin over the defaults, the origin without a path', () => {
    const rp = relyingPartyOf({ ...DEFAULTS, webauthnRpId: 'example.com', webauthnOrigin: 'https://login.example.com/some/path' });
    assert.deepEqual([rp.id, rp.origin], ['example.com', 'https://login.example.com']);
  });
});
