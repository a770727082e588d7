// The only reader of command-line flags and environment variables. Validated once, frozen.
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { parseTrustedIssuers, type TrustedIssuer } from './tokens/trusted-issuer-config.js';
import { CSP_AM_API } from './paths.js';

export type { TrustedIssuer };

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
  /**
   * Which peers may set X-Forwarded-For: false (none), a list of proxy addresses/CIDRs, a hop count
   * (only when the proxies are the server's only way in), or true (every hop: unsafe, see docs).
   */
  readonly trustProxy: TrustProxy;
  /** Tokens longer than this many bytes are refused before any parsing. */
  readonly maxTokenBytes: number;
  readonly accessTokenTtlSeconds: number;
  readonly masterKeyFile: string | undefined;
  readonly lockoutThreshold: number;
  readonly lockoutSeconds: number;
  readonly redisUrl: string | undefined;
  readonly workers: number;
  readonly trustedIssuers: readonly TrustedIssuer[];
  /** RFC 9470 step-up: how old (seconds) a token's second factor may be for MFA off, device removal, new recovery codes. */
  readonly stepUpMaxAgeSeconds: number;
  /** Successful or not, exchanges of one API token allowed per 60-second window. */
  readonly apiTokenExchangesPerMinute: number;
  /** Audit events older than this many days are purged; 0 keeps them forever. */
  readonly auditRetentionDays: number;
  /** Opt-in (benchmarks): measure event-loop delay and serve it at POST /debug/event-loop-delay. Off by default. */
  readonly eventLoopStats: boolean;
  /** WebAuthn relying party id (a registrable domain); unset: the public URL's host (localhost for a loopback address). */
  readonly webauthnRpId: string | undefined;
  /** The origin browsers run the pages that use passkeys on; unset: the public URL's origin. */
  readonly webauthnOrigin: string | undefined;
  /** Interactive sign-in: a browser session ends after this many seconds without use (NIST SP 800-63B AAL2: 1 h). */
  readonly sessionIdleSeconds: number;
  /** Interactive sign-in: a browser session ends this many seconds after its sign-in, used or not (AAL2: 12 h). */
  readonly sessionMaxSeconds: number;
}

export type TrustProxy = boolean | number | readonly string[];

export const DEFAULT_DATABASE_URL = 'sqlite:./data/principal-mfa.db';
export const DEFAULT_ISSUER = `https://principal-mfa.local${CSP_AM_API}`;

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
  stepUpMaxAgeSeconds: 900,
  apiTokenExchangesPerMinute: 60,
  auditRetentionDays: 400,
  eventLoopStats: false,
  webauthnRpId: undefined,
  webauthnOrigin: undefined,
  sessionIdleSeconds: 3600,
  sessionMaxSeconds: 43200,
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
  trustProxy: { flag: 'trust-proxy', env: 'PRINCIPAL_MFA_TRUST_PROXY', kind: 'trustProxy' },
  maxTokenBytes: { flag: 'max-token-bytes', env: 'PRINCIPAL_MFA_MAX_TOKEN_BYTES', kind: 'positive' },
  accessTokenTtlSeconds: { flag: 'access-token-ttl', env: 'PRINCIPAL_MFA_ACCESS_TOKEN_TTL', kind: 'positive' },
  masterKeyFile: { flag: 'master-key-file', env: 'PRINCIPAL_MFA_MASTER_KEY_FILE', kind: 'string' },
  lockoutThreshold: { flag: 'lockout-threshold', env: 'PRINCIPAL_MFA_LOCKOUT_THRESHOLD', kind: 'positive' },
  lockoutSeconds: { flag: 'lockout-seconds', env: 'PRINCIPAL_MFA_LOCKOUT_SECONDS', kind: 'positive' },
  redisUrl: { flag: 'redis', env: 'REDIS_URL', kind: 'string' },
  workers: { flag: 'workers', env: 'PRINCIPAL_MFA_WORKERS', kind: 'positive' },
  stepUpMaxAgeSeconds: { flag: 'step-up-max-age', env: 'PRINCIPAL_MFA_STEP_UP_MAX_AGE', kind: 'positive' },
  apiTokenExchangesPerMinute: { flag: 'api-token-exchanges-per-minute', env: 'PRINCIPAL_MFA_API_TOKEN_EXCHANGES_PER_MINUTE', kind: 'positive' },
  auditRetentionDays: { flag: 'audit-retention-days', env: 'PRINCIPAL_MFA_AUDIT_RETENTION_DAYS', kind: 'count' },
  eventLoopStats: { flag: 'event-loop-stats', env: 'PRINCIPAL_MFA_EVENT_LOOP_STATS', kind: 'boolean' },
  webauthnRpId: { flag: 'webauthn-rp-id', env: 'PRINCIPAL_MFA_WEBAUTHN_RP_ID', kind: 'string' },
  webauthnOrigin: { flag: 'webauthn-origin', env: 'PRINCIPAL_MFA_WEBAUTHN_ORIGIN', kind: 'url' },
  sessionIdleSeconds: { flag: 'session-idle-seconds', env: 'PRINCIPAL_MFA_SESSION_IDLE_SECONDS', kind: 'positive' },
  sessionMaxSeconds: { flag: 'session-max-seconds', env: 'PRINCIPAL_MFA_SESSION_MAX_SECONDS', kind: 'positive' },
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
    ({ values } = parseArgs({ args: withBareTrustProxy(argv), options: parseOptions, strict: true, allowPositionals: false }));
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
  const fromFlags = values['trusted-issuer'] as string[] | undefined;
  try {
    config.trustedIssuers = parseTrustedIssuers(
      fromFlags ?? splitList(env.PRINCIPAL_MFA_TRUSTED_ISSUERS),
      fromFlags ? '--trusted-issuer' : 'PRINCIPAL_MFA_TRUSTED_ISSUERS (--trusted-issuer)',
    );
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return Object.freeze(config) as unknown as Config;
}

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
  // CSP's API prefix: an issuer ending with it names the server's base URL before it.
  if (config.issuer.endsWith(CSP_AM_API)) return config.issuer.slice(0, -CSP_AM_API.length);
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
    case 'positive':
    case 'count': {
      const n = Number(text);
      const max = kind === 'port' ? 65535 : Number.MAX_SAFE_INTEGER;
      const min = kind === 'positive' ? 1 : 0;
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
    case 'trustProxy':
      return readTrustProxy(label, text);
    case 'logLevel':
      if (!LOG_LEVELS.includes(text)) throw new ConfigError(`${label} must be one of ${LOG_LEVELS.join(', ')}`);
      return text;
    default:
      return text;
  }
}

/**
 * `--trust-proxy` once was a bare switch; it now takes a value. A bare one (last, or followed by another
 * flag) still means `true`, so that old command lines keep starting (documented as unsafe).
 */
function withBareTrustProxy(argv: readonly string[]): string[] {
  return argv.map((arg, i) => (arg === '--trust-proxy' && (i === argv.length - 1 || argv[i + 1]!.startsWith('--')) ? '--trust-proxy=true' : arg));
}

/** Named ranges that proxy-addr (Fastify's X-Forwarded-For reader) understands. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `false`/`0`, a hop count, `true` (every hop), or a comma-separated list of addresses, CIDRs or range names. */
function readTrustProxy(label: string, text: string): TrustProxy {
  const word = text.trim().toLowerCase();
  if (word === 'false' || word === '0') return false;
  if (word === 'true') return true;
  if (/^\d+$/.test(word)) {
    const hops = Number(word);
    if (hops <= 100) return hops;
  } else {
    const entries = splitList(text);
    if (entries.length > 0 && entries.every(isProxyAddress)) return Object.freeze(entries);
  }
  throw new ConfigError(
    `${label} must be the proxies' addresses or CIDRs (comma-separated), a hop count from 1 to 100, or true or false, got "${text.slice(0, 80)}"`,
  );
}

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function splitList(value: string | undefined): string[] {
  return value
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}
