// The only reader of command-line flags and environment variables. Validated once, frozen.
import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE_URL } from './storage/database.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string;
  /** `iss` of every token we sign; constant default so tokens survive a change of host or port. */
  readonly issuer: string;
  /** The URL clients reach this server at (discovery's absolute URLs); unset: see publicUrlOf(). */
  readonly publicUrl: string | undefined;
  readonly dev: boolean;
  readonly rateLimitPerMinute: number;
  readonly failedAuthPerMinute: number;
  readonly logLevel: string;
  /** Trust X-Forwarded-For (only behind a proxy you control). */
  readonly trustProxy: boolean;
  /** Tokens longer than this many bytes are refused before any parsing. */
  readonly maxTokenBytes: number;
  readonly accessTokenTtlSeconds: number;
  readonly masterKeyFile: string | undefined;
  readonly lockoutThreshold: number;
  readonly lockoutSeconds: number;
  readonly redisUrl: string | undefined;
  readonly workers: number;
  readonly trustedIssuers: readonly TrustedIssuer[];
}

export interface TrustedIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
}

export const DEFAULT_ISSUER = 'https://principal-mfa.local/csp/gateway/am/api';

export const DEFAULTS: Config = Object.freeze({
  host: '127.0.0.1',
  port: 8080,
  databaseUrl: DEFAULT_DATABASE_URL,
  issuer: DEFAULT_ISSUER,
  publicUrl: undefined,
  dev: false,
  rateLimitPerMinute: 600,
  failedAuthPerMinute: 60,
  logLevel: 'info',
  trustProxy: false,
  maxTokenBytes: 8192,
  accessTokenTtlSeconds: 1800,
  masterKeyFile: undefined,
  lockoutThreshold: 5,
  lockoutSeconds: 900,
  redisUrl: undefined,
  workers: 1,
  trustedIssuers: [],
});

/** Flag name, environment variable, and how to read it. */
const OPTIONS = {
  host: { flag: 'host', env: 'PRINCIPAL_MFA_HOST', kind: 'string' },
  port: { flag: 'port', env: 'PORT', kind: 'port' },
  databaseUrl: { flag: 'database', env: 'DATABASE_URL', kind: 'string' },
  issuer: { flag: 'issuer', env: 'PRINCIPAL_MFA_ISSUER', kind: 'url' },
  publicUrl: { flag: 'public-url', env: 'PRINCIPAL_MFA_PUBLIC_URL', kind: 'url' },
  dev: { flag: 'dev', env: 'PRINCIPAL_MFA_DEV', kind: 'boolean' },
  rateLimitPerMinute: { flag: 'rate-limit-per-minute', env: 'PRINCIPAL_MFA_RATE_LIMIT_PER_MINUTE', kind: 'positive' },
  failedAuthPerMinute: { flag: 'failed-auth-per-minute', env: 'PRINCIPAL_MFA_FAILED_AUTH_PER_MINUTE', kind: 'positive' },
  logLevel: { flag: 'log-level', env: 'PRINCIPAL_MFA_LOG_LEVEL', kind: 'logLevel' },
  trustProxy: { flag: 'trust-proxy', env: 'PRINCIPAL_MFA_TRUST_PROXY', kind: 'boolean' },
  maxTokenBytes: { flag: 'max-token-bytes', env: 'PRINCIPAL_MFA_MAX_TOKEN_BYTES', kind: 'positive' },
  accessTokenTtlSeconds: { flag: 'access-token-ttl', env: 'PRINCIPAL_MFA_ACCESS_TOKEN_TTL', kind: 'positive' },
  masterKeyFile: { flag: 'master-key-file', env: 'PRINCIPAL_MFA_MASTER_KEY_FILE', kind: 'string' },
  lockoutThreshold: { flag: 'lockout-threshold', env: 'PRINCIPAL_MFA_LOCKOUT_THRESHOLD', kind: 'positive' },
  lockoutSeconds: { flag: 'lockout-seconds', env: 'PRINCIPAL_MFA_LOCKOUT_SECONDS', kind: 'positive' },
  redisUrl: { flag: 'redis', env: 'REDIS_URL', kind: 'string' },
  workers: { flag: 'workers', env: 'PRINCIPAL_MFA_WORKERS', kind: 'positive' },
} as const;

type OptionKey = keyof typeof OPTIONS;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {}

/** Parse flags (taking precedence) and environment into a frozen Config. Unknown flags are errors. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config {
  const parseOptions: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const o of Object.values(OPTIONS)) parseOptions[o.flag] = { type: o.kind === 'boolean' ? 'boolean' : 'string' };
  parseOptions['trusted-issuer'] = { type: 'string', multiple: true };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...argv], options: parseOptions, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const config: Record<string, unknown> = { ...DEFAULTS };
  for (const [key, o] of Object.entries(OPTIONS) as [OptionKey, (typeof OPTIONS)[OptionKey]][]) {
    const fromFlag = values[o.flag] !== undefined;
    const raw = fromFlag ? values[o.flag] : env[o.env];
    if (raw === undefined || raw === '') continue;
    // Errors name where the bad value came from: the flag, or the environment variable (and its flag).
    config[key] = readValue(fromFlag ? `--${o.flag}` : `${o.env} (--${o.flag})`, o.kind, raw as string | boolean);
  }
  const issuers = (values['trusted-issuer'] as string[] | undefined) ?? splitList(env.PRINCIPAL_MFA_TRUSTED_ISSUERS);
  config.trustedIssuers = Object.freeze(issuers.map(parseTrustedIssuer));
  return Object.freeze(config) as unknown as Config;
}

/** CSP's API prefix: an issuer ending with it names the server's base URL before it. */
const CSP_API_SUFFIX = '/csp/gateway/am/api';

/**
 * The base URL of this server as clients reach it, for the absolute URLs in discovery. Never taken from a
 * request (Host, X-Forwarded-Host): --public-url, else the issuer without CSP's API suffix, else the
 * issuer's origin; in --dev with the default issuer, the listen address, so that the quick start works.
 */
export function publicUrlOf(config: Pick<Config, 'publicUrl' | 'issuer' | 'dev' | 'host' | 'port'>): string {
  if (config.publicUrl) return config.publicUrl;
  if (config.dev && config.issuer === DEFAULT_ISSUER) {
    const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
  }
  if (config.issuer.endsWith(CSP_API_SUFFIX)) return config.issuer.slice(0, -CSP_API_SUFFIX.length);
  return new URL(config.issuer).origin;
}

function readValue(label: string, kind: string, raw: string | boolean): unknown {
  if (kind === 'boolean') {
    if (raw === true) return true;
    // A typo such as PRINCIPAL_MFA_TRUST_PROXY=ture must not silently mean false.
    const word = String(raw).toLowerCase();
    if (word === 'true' || word === '1') return true;
    if (word === 'false' || word === '0') return false;
    throw new ConfigError(`${label} must be true or false (or 1 or 0), got "${String(raw).slice(0, 40)}"`);
  }
  const text = String(raw);
  switch (kind) {
    case 'port':
    case 'positive': {
      const n = Number(text);
      const max = kind === 'port' ? 65535 : Number.MAX_SAFE_INTEGER;
      const min = kind === 'port' ? 0 : 1;
      if (!/^\d+$/.test(text) || n < min || n > max) throw new ConfigError(`${label} must be an integer from ${min} to ${max}, got "${text.slice(0, 40)}"`);
      return n;
    }
    case 'url': {
      // The issuer is compared byte for byte with `iss`: only plain http(s) URLs, no query, fragment or credentials.
      const url = URL.canParse(text) ? new URL(text) : undefined;
      if (!url || !['https:', 'http:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
        throw new ConfigError(`${label} must be an absolute http(s) URL without query, fragment or credentials, got "${text.slice(0, 200)}"`);
      }
      return url.toString().replace(/\/$/, '');
    }
    case 'logLevel':
      if (!LOG_LEVELS.includes(text)) throw new ConfigError(`${label} must be one of ${LOG_LEVELS.join(', ')}`);
      return text;
    default:
      return text;
  }
}

function splitList(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** `ISSUER_URL` or `ISSUER_URL=JWKS_URI`; without a JWKS URI, OIDC discovery is not assumed: it is `<issuer>/.well-known/jwks.json`. */
function parseTrustedIssuer(text: string): TrustedIssuer {
  const [issuer, jwksUri] = text.split('=', 2) as [string, string | undefined];
  try {
    new URL(issuer);
    if (jwksUri) new URL(jwksUri);
  } catch {
    throw new ConfigError(`--trusted-issuer must be ISSUER_URL=JWKS_URI, got "${text}"`);
  }
  return Object.freeze({ issuer, jwksUri: jwksUri ?? `${issuer.replace(/\/$/, '')}/.well-known/jwks.json` });
}
