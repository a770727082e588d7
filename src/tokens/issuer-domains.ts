// The user domain of each trusted outside issuer: derived from its configured URL (never from a token
// claim), readable, stable, and distinct from `local` and from every other configured issuer's.

const LOCAL_DOMAIN = 'local';
/** The users.domain column holds at most this many characters. */
const MAX_DOMAIN_LENGTH = 255;

/**
 * Host (with a non-default port) and path of the issuer URL, without trailing slashes:
 * `https://idp.example/realms/a/` → `idp.example/realms/a`; `https://csp.example` → `csp.example`.
 * Two realms or tenants on one host are two domains.
 */
export function domainOfIssuer(issuer: string): string {
  const url = new URL(issuer);
  return `${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** The domain outside principals got before they were keyed by issuer and subject (migration 003): the host only. */
export function legacyDomainOfIssuer(issuer: string): string {
  return new URL(issuer).host;
}

/** Why these issuers cannot be trusted together (a one-line reason), or undefined when they can. */
export function findIssuerDomainProblem(issuers: readonly string[]): string | undefined {
  const owners = new Map<string, string>();
  for (const issuer of issuers) {
    const domain = domainOfIssuer(issuer);
    if (domain === LOCAL_DOMAIN) return `trusted issuer ${issuer} would share the domain of local users`;
    if (domain.length > MAX_DOMAIN_LENGTH)
      return `trusted issuer ${issuer.slice(0, 80)}… is longer than a domain may be (${MAX_DOMAIN_LENGTH} characters of host and path)`;
    const owner = owners.get(domain);
    if (owner !== undefined) return `trusted issuers ${owner} and ${issuer} would share the domain ${domain}; list each issuer once`;
    owners.set(domain, issuer);
  }
  return undefined;
}
