// The one table of CLI commands: main.ts dispatches from it and usage.ts prints `help` from it (README.md shows that output).
import { apiTokensCommand } from './api-tokens.js';
import { clientsCommand } from './clients.js';
import type { CliIo } from './common.js';
import { keysCommand } from './keys.js';
import { mfaCommand } from './mfa.js';
import { orgsCommand } from './orgs.js';
import { serveCommand } from './serve.js';
import { usersCommand } from './users.js';

/** One option as the synopsis writes it (`--username U`, `[--org ORG]`, `| --subject S --domain D`), and what it does. */
export interface CliOption {
  usage: string;
  help: string;
}

/** One form of a command as `help` shows it: its action words, what it does, its options. */
export interface CliAction {
  /** `['disable', 'enable', 'delete']` for `users disable|enable|delete`; empty for a command that takes no action word (serve). */
  names: readonly string[];
  summary: string;
  options: readonly CliOption[];
}

export interface CliCommand {
  name: string;
  actions: readonly CliAction[];
  /** Gets the action word (undefined when none was given) and the arguments after it. */
  run(action: string | undefined, args: string[], io: CliIo): Promise<void>;
}

const JSON_OUTPUT: CliOption = { usage: '[--json]', help: 'print exactly one JSON object on stdout' };
const ROLE_OPTIONAL: CliOption = { usage: '[--role R]', help: 'org_owner, org_admin or org_member (default)' };
const ORG: CliOption = { usage: '[--org ORG]', help: '1-255 letters, digits and . _ - (default: default)' };
/** The principal an admin command acts on (src/cli/select-principal.ts). */
const PRINCIPAL: readonly CliOption[] = [
  { usage: '--username U', help: 'the principal, by its username' },
  { usage: '[--domain D]', help: "its domain: local (the default), or a trusted issuer's host and path" },
  { usage: '| --subject S --domain D', help: 'instead of --username: an outside principal by its subject (two share a username)' },
  JSON_OUTPUT,
];

const SERVE_OPTIONS: readonly CliOption[] = [
  { usage: '[--host H]', help: 'address to listen on (default 127.0.0.1)' },
  { usage: '[--port P]', help: 'TCP port (default 8080; 0 picks a free one)' },
  { usage: '[--dev]', help: 'development: demo user and token on an empty store, a master key made if none is given' },
  { usage: '[--database URL]', help: 'sqlite:PATH or postgres://… (default sqlite:./data/principal-mfa.db)' },
  { usage: '[--master-key-file PATH]', help: '64 hex characters sealing MFA seeds and signing keys (required without --dev)' },
  { usage: '[--issuer URL]', help: 'the iss of every token signed here; the same on every copy' },
  { usage: '[--public-url URL]', help: 'the base URL clients reach, for the absolute URLs in discovery' },
  { usage: '[--webauthn-rp-id DOMAIN]', help: "passkeys' relying party id (default: the public URL's host)" },
  { usage: '[--webauthn-origin URL]', help: "the origin of the pages that use passkeys (default: the public URL's origin)" },
  { usage: '[--redis URL]', help: 'rate-limit counters in Redis, shared by every copy' },
  { usage: '[--workers N]', help: 'worker processes sharing the port (default 1)' },
  { usage: "[--trusted-issuer 'ISS[=JWKS];aud=A;azp=C']", help: 'also accept the access tokens of this issuer (repeatable)' },
  { usage: '[--trust-proxy PROXIES]', help: 'the proxies (addresses or CIDRs) that may set X-Forwarded-For' },
  { usage: '[--rate-limit-per-minute N]', help: 'MFA API requests per principal a minute (default 600)' },
  { usage: '[--failed-auth-per-minute M]', help: 'failed authentications per client address a minute (default 60)' },
  { usage: '[--api-token-exchanges-per-minute N]', help: 'exchanges of one API token a minute (default 60)' },
  { usage: '[--lockout-threshold N]', help: 'failed MFA verifications in a row before a lockout (default 5)' },
  { usage: '[--lockout-seconds S]', help: 'length of the first lockout, doubled for each further one (default 900)' },
  { usage: '[--step-up-max-age S]', help: 'how long a passcode proves a recent second factor (default 900)' },
  { usage: '[--session-idle-seconds S]', help: 'a sign-in session unused this long ends (default 3600)' },
  { usage: '[--session-max-seconds S]', help: 'a sign-in session ends this long after its sign-in (default 43200)' },
  { usage: '[--access-token-ttl S]', help: 'lifetime of issued access tokens (default 1800)' },
  { usage: '[--max-token-bytes N]', help: 'longest csp-auth-token accepted (default 8192)' },
  { usage: '[--audit-retention-days D]', help: 'audit events are kept this long; 0 keeps them forever (default 400)' },
  { usage: '[--log-level L]', help: 'fatal, error, warn, info (default), debug, trace or silent' },
  { usage: '[--event-loop-stats]', help: 'benchmarks only: POST /debug/event-loop-delay reports the event-loop delay' },
];

export const CLI_COMMANDS: readonly CliCommand[] = [
  {
    name: 'serve',
    actions: [
      {
        names: [],
        summary: 'serves the API until SIGTERM (it drains first); each flag also has an environment variable: docs/configuration.md',
        options: SERVE_OPTIONS,
      },
    ],
    run: (_action, args, io) => serveCommand(args, io),
  },
  {
    name: 'users',
    actions: [
      {
        names: ['create'],
        summary: 'creates a local user → {"id","username"}',
        options: [
          { usage: '--username U', help: '1-255 letters, digits and . _ @ + -' },
          { usage: '[--password-stdin]', help: 'its password: all of stdin (less one line end), at least 8 characters' },
          ORG,
          ROLE_OPTIONAL,
          JSON_OUTPUT,
        ],
      },
      {
        names: ['import'],
        summary: 'imports users from a file of one {"username","org","passwordHash"} per line (docs/import.md)',
        options: [{ usage: '--file users.jsonl', help: 'the JSON Lines file; existing usernames are left as they are' }, JSON_OUTPUT],
      },
      {
        names: ['set-password'],
        summary: 'sets a local user\'s password (one line from stdin; on a terminal, a prompt without echo) → {"id","username"}',
        options: [
          { usage: '--username U', help: 'the local user' },
          { usage: '--password-stdin', help: 'required: a password is never an argument' },
          JSON_OUTPUT,
        ],
      },
      { names: ['disable', 'enable', 'delete'], summary: 'disables, enables or deletes a principal → {"id","username","domain","action"}', options: PRINCIPAL },
      {
        names: ['list'],
        summary: 'lists principals with their MFA state, one line each (JSON Lines with --json; docs/organizations.md)',
        options: [
          { usage: '[--org O]', help: 'only this organization (default: every one)' },
          { usage: '[--mfa on|off|pending|locked]', help: 'only principals in this MFA state' },
          { usage: '[--json]', help: 'one JSON object per line' },
        ],
      },
      { names: ['show'], summary: 'one principal\'s MFA state and last 20 MFA audit events → {"principal","auditEvents"}', options: PRINCIPAL },
      {
        names: ['grant'],
        summary: 'sets a principal\'s organization role (in perms from its next token) → {"id","username","domain","orgId","role"}',
        options: [...PRINCIPAL.slice(0, 3), { usage: '--role R', help: 'org_owner, org_admin or org_member' }, JSON_OUTPUT],
      },
    ],
    run: usersCommand,
  },
  {
    name: 'api-tokens',
    actions: [
      { names: ['create'], summary: 'creates an API token → {"apiToken","username","domain"}', options: PRINCIPAL },
      { names: ['revoke'], summary: 'revokes all API tokens of a principal → {"revoked","username","domain"}', options: PRINCIPAL },
    ],
    run: apiTokensCommand,
  },
  {
    name: 'clients',
    actions: [
      {
        names: ['create'],
        summary: 'creates a client-credentials application, or with --redirect-uri one that signs people in (docs/sign-in.md) → {"clientId","clientSecret"?}',
        options: [
          { usage: '--name N', help: 'any text, at most 255 characters' },
          ORG,
          { usage: '[--redirect-uri URI]…', help: 'an exact redirect URI of a sign-in application (repeatable)' },
          { usage: '[--post-logout-redirect-uri URI]…', help: 'where the application may send people after sign-out (repeatable)' },
          { usage: '[--public]', help: 'a public sign-in application (browser, mobile, CLI): no secret, PKCE only' },
          { usage: '[--id-token-alg RS256|ES256]', help: "how a sign-in application's ID tokens are signed (default RS256; access tokens stay RS256)" },
          JSON_OUTPUT,
        ],
      },
    ],
    run: clientsCommand,
  },
  {
    name: 'keys',
    actions: [
      {
        names: ['rotate'],
        summary: 'signs with a new RSA and EC key from now on (the one command besides serve that needs the master key) → {"kid","ecKid"[,"revoked"]}',
        options: [
          { usage: '[--revoke-previous]', help: 'also revoke the previous keys: every running copy refuses their tokens' },
          { usage: '--master-key-file PATH', help: 'the master key (or env PRINCIPAL_MFA_MASTER_KEY_FILE)' },
          JSON_OUTPUT,
        ],
      },
    ],
    run: keysCommand,
  },
  {
    name: 'mfa',
    actions: [
      { names: ['reset'], summary: 'removes the MFA device and recovery codes of a principal → {"id","username","domain","removed"}', options: PRINCIPAL },
      { names: ['unlock'], summary: 'lifts a lockout, keeping the device and codes → {"id","username","domain","unlocked"}', options: PRINCIPAL },
    ],
    run: mfaCommand,
  },
  {
    name: 'orgs',
    actions: [
      {
        names: ['policy'],
        summary: "prints the organization's MFA policy as JSON, the default when none was set (docs/organizations.md)",
        options: [
          { usage: 'show --org O', help: 'the organization' },
          { usage: '[--json]', help: 'the policy on one line' },
        ],
      },
      {
        names: ['policy'],
        summary: 'replaces the policy with a JSON document (as PUT …/orgs/{orgId}/mfa/policy), audited as admin',
        options: [
          { usage: 'set --org O', help: 'the organization' },
          { usage: '--file F', help: 'the policy JSON file, or - for standard input' },
          JSON_OUTPUT,
        ],
      },
    ],
    run: orgsCommand,
  },
];
