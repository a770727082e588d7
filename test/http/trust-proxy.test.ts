// --trust-proxy: which peers may name the client address in X-Forwarded-For. The address matters for
// the per-address limit on failed authentications, which is how these tests observe it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startTestServer } from '../support/server.js';

const EXCHANGE = '/csp/gateway/am/api/auth/api-tokens/authorize';

/** Starts a server with the given command line (limit: 3 failures a minute per address). */
async function serverWith(argv: string[]) {
  const { trustProxy, failedAuthPerMinute } = loadConfig([...argv, '--failed-auth-per-minute', '3']);
  return startTestServer({ config: { trustProxy, failedAuthPerMinute } });
}

/** Four failed exchanges, each with its own X-Forwarded-For; true when the fourth was refused as over the limit. */
async function fourthFailureIsLimited(baseUrl: string, forwardedFor: (i: number) => string): Promise<boolean> {
  let status = 0;
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${baseUrl}${EXCHANGE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor(i) },
      body: 'api_token=pmfa_at_wrong',
    });
    status = res.status;
    await res.body?.cancel();
  }
  return status === 429;
}

describe('--trust-proxy', () => {
  it('finding 8.9: with the proxy address given, a client cannot pick its address by writing X-Forwarded-For itself', async () => {
    // The test client is the proxy (127.0.0.1); it appends the real client, 10.9.0.1, as nginx and ALB do.
    const server = await serverWith(['--trust-proxy', '127.0.0.1']);
    try {
      assert.equal(await fourthFailureIsLimited(server.baseUrl, (i) => `6.6.6.${i}, 10.9.0.1`), true);
      assert.equal(await fourthFailureIsLimited(server.baseUrl, (i) => `10.9.1.${i}`), false, 'distinct real clients are counted apart');
    } finally {
      await server.close();
    }
  });

  it('finding 8.9: with a hop count, takes the address that many hops from the right', async () => {
    const server = await serverWith(['--trust-proxy', '2']);
    try {
      // client-chosen, real client, first proxy; the second proxy is the socket peer.
      assert.equal(await fourthFailureIsLimited(server.baseUrl, (i) => `6.6.6.${i}, 10.9.2.1, 10.0.0.2`), true);
    } finally {
      await server.close();
    }
  });

  it('finding 8.9: ignores X-Forwarded-For from a peer that is not one of the listed proxies', async () => {
    const server = await serverWith(['--trust-proxy', '10.0.0.0/8,192.168.0.1']);
    try {
      assert.equal(await fourthFailureIsLimited(server.baseUrl, (i) => `10.9.3.${i}`), true, 'all four count for the peer, 127.0.0.1');
    } finally {
      await server.close();
    }
  });

  it('keeps true (every hop, the left-most address) for old command lines, and a bare --trust-proxy means true', async () => {
    assert.equal(loadConfig(['--trust-proxy']).trustProxy, true);
    assert.equal(loadConfig(['--trust-proxy', '--port', '1']).trustProxy, true);
    const server = await serverWith(['--trust-proxy', 'true']);
    try {
      assert.equal(await fourthFailureIsLimited(server.baseUrl, (i) => `6.6.6.${i}, 10.9.4.1`), false, 'true lets the client choose: unsafe');
    } finally {
      await server.close();
    }
  });

  it('reads addresses, CIDRs, range names, hop counts and booleans, from the flag or the environment', () => {
    assert.deepEqual(loadConfig(['--trust-proxy', '10.0.0.0/8, 172.16.0.1,::1,fd00::/8,loopback']).trustProxy, [
      '10.0.0.0/8',
      '172.16.0.1',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    assert.equal(loadConfig([], { PRINCIPAL_MFA_TRUST_PROXY: '1' }).trustProxy, 1);
    assert.equal(loadConfig([], { PRINCIPAL_MFA_TRUST_PROXY: '0' }).trustProxy, false);
    assert.equal(loadConfig([], { PRINCIPAL_MFA_TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig([], {}).trustProxy, false);
  });

  for (const bad of ['10.0.0.0/33', 'proxy.example.com', '101', '10.0.0.1/8/8', ',', 'yes']) {
    it(`refuses --trust-proxy ${JSON.stringify(bad)} with one line naming the flag`, () => {
      assert.throws(
        () => loadConfig(['--trust-proxy', bad]),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /^--trust-proxy must be the proxies' addresses or CIDRs/);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    });
  }
});
