// Configuration: documented defaults, flags over environment, and a clear error for every bad value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULT_ISSUER, DEFAULTS, loadConfig } from '../../src/config.js';
import { startTestServer } from '../support/server.js';

const refuses = (argv: string[], env: Record<string, string>, pattern: RegExp) =>
  assert.throws(
    () => loadConfig(argv, env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, pattern);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    },
  );

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
    const flags = loadConfig(
      [
        '--issuer',
        'https://flag.example/iss',
        '--rate-limit-per-minute',
        '70',
        '--failed-auth-per-minute',
        '80',
        '--database',
        'sqlite:/tmp/flag.db',
        '--port',
        '9191',
      ],
      env,
    );
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

describe('--trusted-issuer', () => {
  const CSP = 'https://console.cloud.vmware.com/csp/gateway/am/api';
  const CSP_JWKS = 'https://console.cloud.vmware.com/csp/gateway/am/api/auth/token-public-key?format=jwks';
  const one = (argv: string[], env: Record<string, string> = {}) => {
    const issuers = loadConfig(argv, env).trustedIssuers;
    assert.equal(issuers.length, 1);
    return issuers[0];
  };

  it("finding 8.12: keeps a JWKS URI with a query whole (CSP's own ?format=jwks), splitting at the = before it", () => {
    assert.deepEqual(one(['--trusted-issuer', `${CSP}=${CSP_JWKS};azp=mfa-portal`]), {
      issuer: CSP,
      jwksUri: CSP_JWKS,
      audiences: [],
      authorizedParties: ['mfa-portal'],
    });
    // An = inside the issuer path is part of the issuer: the JWKS URI starts at the first =http(s)://.
    assert.deepEqual(one(['--trusted-issuer', 'https://idp.example/t=1=https://idp.example/keys?a=b&c=d;aud=api']), {
      issuer: 'https://idp.example/t=1',
      jwksUri: 'https://idp.example/keys?a=b&c=d',
      audiences: ['api'],
      authorizedParties: [],
    });
  });

  it('finding 8.12: refuses a plain-http JWKS URI except on loopback (127.0.0.0/8, ::1, localhost)', () => {
    refuses(['--trusted-issuer', 'https://idp.example=http://idp.example/jwks;aud=api'], {}, /--trusted-issuer needs an https JWKS URI/);
    refuses(['--trusted-issuer', 'http://idp.example;aud=api'], {}, /https JWKS URI.*http:\/\/idp\.example\/\.well-known\/jwks\.json/);
    refuses(['--trusted-issuer', 'https://idp.example=http://10.0.0.1/jwks;aud=api'], {}, /https JWKS URI/);
    refuses(['--trusted-issuer', 'https://idp.example=http://[::ffff:127.0.0.1]/jwks;aud=api'], {}, /https JWKS URI/);
    refuses(['--trusted-issuer', 'https://idp.example=http://localhost.evil.example/jwks;aud=api'], {}, /https JWKS URI/);
    for (const loopback of ['http://127.0.0.1:9999/jwks', 'http://127.3.2.1/jwks', 'http://[::1]:8443/jwks', 'http://localhost:8080/jwks']) {
      assert.equal(one(['--trusted-issuer', `https://idp.example=${loopback};aud=api`])?.jwksUri, loopback);
    }
  });

  it('finding 8.4: takes the expected audiences and authorized parties, repeatable, and requires at least one', () => {
    assert.deepEqual(one(['--trusted-issuer', 'https://idp.example/realms/a;aud=api://mfa;aud=mfa;azp=portal;azp=cli']), {
      issuer: 'https://idp.example/realms/a',
      jwksUri: 'https://idp.example/realms/a/.well-known/jwks.json',
      audiences: ['api://mfa', 'mfa'],
      authorizedParties: ['portal', 'cli'],
    });
    refuses(['--trusted-issuer', `${CSP}=${CSP_JWKS}`], {}, /--trusted-issuer must name the audience \(;aud=…\) or the client \(;azp=…\)/);
    refuses(['--trusted-issuer', 'https://idp.example;aud='], {}, /unknown or empty option "aud="/);
    refuses(['--trusted-issuer', 'https://idp.example;aud=api;scope=mfa'], {}, /unknown or empty option "scope=mfa"/);
    refuses(['--trusted-issuer', 'https://idp.example;aud=has space'], {}, /unknown or empty option/);
  });

  it('reads the same syntax from PRINCIPAL_MFA_TRUSTED_ISSUERS (comma-separated), and flags win over it', () => {
    const env = { PRINCIPAL_MFA_TRUSTED_ISSUERS: ` ${CSP}=${CSP_JWKS};azp=portal , https://idp.example/realms/a;aud=api ` };
    const fromEnv = loadConfig([], env).trustedIssuers;
    assert.deepEqual(
      fromEnv.map((i) => [i.issuer, i.jwksUri, i.audiences, i.authorizedParties]),
      [
        [CSP, CSP_JWKS, [], ['portal']],
        ['https://idp.example/realms/a', 'https://idp.example/realms/a/.well-known/jwks.json', ['api'], []],
      ],
    );
    assert.ok(Object.isFrozen(fromEnv) && Object.isFrozen(fromEnv[0]));
    assert.deepEqual(
      loadConfig(['--trusted-issuer', 'https://flag.example;aud=api'], env).trustedIssuers.map((i) => i.issuer),
      ['https://flag.example'],
    );
    refuses([], { PRINCIPAL_MFA_TRUSTED_ISSUERS: 'https://idp.example' }, /^PRINCIPAL_MFA_TRUSTED_ISSUERS \(--trusted-issuer\) must name the audience/);
  });

  it('finding 8.2: refuses issuers that would share a domain (or take the local one), and malformed issuers', () => {
    refuses(
      ['--trusted-issuer', 'https://idp.example/realms/a;aud=x', '--trusted-issuer', 'https://idp.example/realms/a/;aud=y'],
      {},
      /would share the domain idp\.example\/realms\/a/,
    );
    refuses(
      ['--trusted-issuer', 'https://idp.example;aud=x', '--trusted-issuer', 'http://idp.example=https://idp.example/jwks;aud=y'],
      {},
      /would share the domain idp\.example;/,
    );
    refuses(['--trusted-issuer', 'https://local;aud=x'], {}, /domain of local users/);
    refuses(['--trusted-issuer', 'idp.example;aud=x'], {}, /must start with the issuer/);
    refuses(['--trusted-issuer', 'https://idp.example/?tenant;aud=x'], {}, /must start with the issuer/);
    refuses(['--trusted-issuer', 'https://idp.example/#a;aud=x'], {}, /must start with the issuer/);
    refuses(['--trusted-issuer', 'https://idp.example=ftp://idp.example/jwks;aud=x'], {}, /JWKS URI as an http\(s\) URL after "="/);
    refuses(['--trusted-issuer', `https://idp.example/${'p'.repeat(300)};aud=x`], {}, /longer than a domain may be/);
  });
});
