// The --trusted-issuer syntax, `ISSUER_URL[=JWKS_URI][;aud=AUDIENCE]…[;azp=CLIENT_ID]…`, parsed into
// frozen entries. Pure: config.ts reads the flag or environment and turns these errors into ConfigErrors.
import { findIssuerDomainProblem } from './issuer-domains.js';

export interface TrustedIssuer {
  /** Compared byte for byte with a token's `iss`. */
  readonly issuer: string;
  readonly jwksUri: string;
  /** A token's `aud` must hold one of these (none: `aud` is not checked, then authorizedParties must not be empty). */
  readonly audiences: readonly string[];
  /** A token's `azp` (or RFC 9068 `client_id`) must be one of these (none: not checked). */
  readonly authorizedParties: readonly string[];
}

const MAX_URL_LENGTH = 1024;
/** The JWKS URI starts at the first `=` followed by an http(s) URL, so a JWKS query such as `?format=jwks` stays whole. */
const JWKS_SEPARATOR = /=(?=https?:\/\/)/i;
const OPTION = /^(aud|azp)=([^\s\u0000-\u001f\u007f]{1,1024})$/;

/** Parses every entry and checks that each issuer gets a domain of its own. Throws an Error with a one-line message. */
export function parseTrustedIssuers(entries: readonly string[], label: string): readonly TrustedIssuer[] {
  const issuers = entries.map((entry) => parseTrustedIssuer(entry, label));
  const problem = findIssuerDomainProblem(issuers.map((i) => i.issuer));
  if (problem) throw new Error(`${label}: ${problem}`);
  return Object.freeze(issuers);
}

function parseTrustedIssuer(text: string, label: string): TrustedIssuer {
  const fail = (why: string): never => {
    throw new Error(`${label} ${why}, got "${text.slice(0, 200)}" (syntax: ISSUER_URL[=JWKS_URI][;aud=AUDIENCE][;azp=CLIENT_ID])`);
  };
  const [head = '', ...options] = text.split(';');
  const at = head.search(JWKS_SEPARATOR);
  const issuer = at < 0 ? head : head.slice(0, at);
  if (at < 0 && issuer.includes('=')) fail('must give the JWKS URI as an http(s) URL after "="');
  const issuerUrl = parseUrl(issuer);
  if (!issuerUrl || issuer.length > MAX_URL_LENGTH || issuerUrl.search || issuerUrl.hash || issuerUrl.username || issuerUrl.password) {
    fail('must start with the issuer: an absolute http(s) URL without query, fragment or credentials');
  }
  const jwksUri = at < 0 ? `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json` : head.slice(at + 1);
  const jwksUrl = parseUrl(jwksUri);
  if (!jwksUrl || jwksUri.length > MAX_URL_LENGTH || jwksUrl.hash || jwksUrl.username || jwksUrl.password)
    fail('needs a JWKS URI that is an absolute URL without fragment or credentials');
  // The keys decide whose tokens are accepted: fetched over TLS unless they never leave the machine.
  if (jwksUrl!.protocol !== 'https:' && !isLoopback(jwksUrl!.hostname))
    fail(`needs an https JWKS URI (plain http only on loopback), not ${jwksUri.slice(0, 200)}`);
  const audiences: string[] = [];
  const authorizedParties: string[] = [];
  for (const option of options) {
    const match = OPTION.exec(option);
    if (!match) fail(`has an unknown or empty option "${option.slice(0, 60)}" (only aud=… and azp=…)`);
    (match![1] === 'aud' ? audiences : authorizedParties).push(match![2] as string);
  }
  if (audiences.length === 0 && authorizedParties.length === 0) fail(`must name the audience (;aud=…) or the client (;azp=…) that ${issuer}'s tokens are for`);
  return Object.freeze({ issuer, jwksUri, audiences: Object.freeze(audiences), authorizedParties: Object.freeze(authorizedParties) });
}

function parseUrl(text: string): URL | undefined {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  return url && (url.protocol === 'https:' || url.protocol === 'http:') ? url : undefined;
}

/** localhost, 127.0.0.0/8 and ::1 (the URL parser has already normalised 127.1, 0x7f.1 and [0:…:1]). */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
