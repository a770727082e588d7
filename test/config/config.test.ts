// Configuration: documented defaults, flags over environment, and a clear error for every bad value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULT_ISSUER, DEFAULTS, loadConfig } from '../../src/config.js';
import { startTestServer } from '../support/server.js';

const refuses = (argv: string[], env: Record<string, string>, pattern: RegExp) =>
  assert.throws(() => loadConfig(argv, env), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig([], {});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, 'sqlite:./data/principal-mfa.db');
    assert.equal(config.rateLimitPerMinute, 600);
    assert.equal(config.failedAuthPerMinute, 60);
    assert.equal(config.maxTokenBytes, 8192);
    assert.equal(config.accessTokenTtlSeconds, 1800);
    assert.equal(config.trustProxy, false);
    assert.equal(config.dev, false);
    assert.ok(Object.isFrozen(config));
  });

  it('keeps a constant default issuer that does not depend on the listen host or port', () => {
    assert.equal(DEFAULTS.issuer, DEFAULT_ISSUER);
    assert.equal(loadConfig(['--host', '0.0.0.0', '--port', '9999'], { PORT: '1234', PRINCIPAL_MFA_HOST: '10.0.0.1' }).issuer, DEFAULT_ISSUER);
    assert.match(DEFAULT_ISSUER, /^https:\/\/[^:/]+\//);
  });

  it('shows the default issuer in discovery whatever port the server listens on', async () => {
    const server = await startTestServer();
    try {
      const discovery = (await (await fetch(`${server.baseUrl}/csp/gateway/am/api/auth/.well-known/openid-configuration`)).json()) as { issuer: string };
      assert.equal(discovery.issuer, DEFAULT_ISSUER);
    } finally {
      await server.close();
    }
  });

  it('reads the environment and lets flags win over it', () => {
    const env = {
      PRINCIPAL_MFA_ISSUER: 'https://env.example/csp/gateway/am/api',
      PRINCIPAL_MFA_RATE_LIMIT_PER_MINUTE: '7',
      PRINCIPAL_MFA_FAILED_AUTH_PER_MINUTE: '8',
      DATABASE_URL: 'sqlite:/tmp/env.db',
      PORT: '9090',
      PRINCIPAL_MFA_TRUST_PROXY: 'true',
    };
    const fromEnv = loadConfig([], env);
    assert.equal(fromEnv.issuer, 'https://env.example/csp/gateway/am/api');
    assert.equal(fromEnv.rateLimitPerMinute, 7);
    assert.equal(fromEnv.failedAuthPerMinute, 8);
    assert.equal(fromEnv.databaseUrl, 'sqlite:/tmp/env.db');
    assert.equal(fromEnv.port, 9090);
    assert.equal(fromEnv.trustProxy, true);
    const flags = loadConfig(['--issuer', 'https://flag.example/iss', '--rate-limit-per-minute', '70', '--failed-auth-per-minute', '80', '--database', 'sqlite:/tmp/flag.db', '--port', '9191'], env);
    assert.equal(flags.issuer, 'https://flag.example/iss');
    assert.equal(flags.rateLimitPerMinute, 70);
    assert.equal(flags.failedAuthPerMinute, 80);
    assert.equal(flags.databaseUrl, 'sqlite:/tmp/flag.db');
    assert.equal(flags.port, 9191);
  });

  it('reads booleans from the environment as true/false/1/0 and nothing else', () => {
    assert.equal(loadConfig([], { PRINCIPAL_MFA_TRUST_PROXY: '1' }).trustProxy, 1, 'a number is a hop count (test/http/trust-proxy.test.ts)');
    assert.equal(loadConfig([], { PRINCIPAL_MFA_TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig([], { PRINCIPAL_MFA_TRUST_PROXY: '0' }).trustProxy, false);
    assert.equal(loadConfig(['--trust-proxy'], { PRINCIPAL_MFA_TRUST_PROXY: 'false' }).trustProxy, true);
    refuses([], { PRINCIPAL_MFA_TRUST_PROXY: 'yes please' }, /PRINCIPAL_MFA_TRUST_PROXY.*true or false/);
    refuses([], { PRINCIPAL_MFA_DEV: 'treu' }, /PRINCIPAL_MFA_DEV/);
  });

  it('gives a clear one-line error for bad values, naming the flag or variable', () => {
    refuses(['--port', 'eighty'], {}, /--port must be an integer from 0 to 65535, got "eighty"/);
    refuses(['--port', '70000'], {}, /--port/);
    refuses([], { PORT: '-1' }, /PORT/);
    refuses(['--rate-limit-per-minute', '0'], {}, /--rate-limit-per-minute must be an integer from 1/);
    refuses(['--failed-auth-per-minute', '1.5'], {}, /--failed-auth-per-minute/);
    refuses([], { PRINCIPAL_MFA_RATE_LIMIT_PER_MINUTE: 'lots' }, /PRINCIPAL_MFA_RATE_LIMIT_PER_MINUTE/);
    refuses(['--max-token-bytes', '0'], {}, /--max-token-bytes/);
    refuses(['--issuer', 'not a url'], {}, /--issuer must be an absolute http\(s\) URL/);
    refuses(['--issuer', 'javascript:alert(1)'], {}, /--issuer must be an absolute http\(s\) URL/);
    refuses(['--issuer', 'https://issuer.example/a?b=c'], {}, /--issuer/);
    refuses(['--log-level', 'loud'], {}, /--log-level must be one of/);
    refuses(['--bogus'], {}, /bogus/);
    refuses(['--port'], {}, /--port/);
    refuses(['extra-positional'], {}, /extra-positional/);
  });

  it('normalises the issuer without a trailing slash so that iss and discovery agree', () => {
    assert.equal(loadConfig(['--issuer', 'https://issuer.example/'], {}).issuer, 'https://issuer.example');
    assert.equal(loadConfig(['--issuer', 'https://issuer.example/csp/gateway/am/api'], {}).issuer, 'https://issuer.example/csp/gateway/am/api');
  });
});
