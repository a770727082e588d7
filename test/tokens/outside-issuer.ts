// A minimal outside identity provider for tests: publishes a JWKS on 127.0.0.1 and mints access tokens
// (or ID tokens, or tokens for another audience) with whatever header and claims a test needs.
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type Clock, nowSeconds } from '../../src/clock.js';
import type { TrustedIssuer } from '../../src/config.js';

/** The audience every outside issuer of the tests is configured with, and puts in its tokens by default. */
export const AUDIENCE = 'https://principal-mfa.example/api';

export type Key = { kid: string; alg: 'RS256' | 'ES256'; privateKey: CryptoKey; jwk: JWK };

export async function makeKey(kid: string, alg: 'RS256' | 'ES256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey: privateKey as CryptoKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export class OutsideIssuer {
  published: Key[] = [];
  fetches = 0;
  up = true;
  jwksUri = '';
  private server: Server | undefined;

  constructor(readonly issuer: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.fetches++;
      if (!this.up) {
        req.socket.destroy(); // as good as a dead server
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: this.published.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.jwksUri = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/jwks?format=jwks`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }

  /** This issuer as a --trusted-issuer entry: its audience by default. */
  trusted(options: Partial<Pick<TrustedIssuer, 'audiences' | 'authorizedParties'>> = {}): TrustedIssuer {
    return { issuer: this.issuer, jwksUri: this.jwksUri, audiences: options.audiences ?? [AUDIENCE], authorizedParties: options.authorizedParties ?? [] };
  }

  /**
   * An access token: `sub` defaults to one derived from the username, `aud` to AUDIENCE. A claim set
   * to undefined is left out; `header` is merged into the protected header (typ JWT by default).
   */
  mint(key: Key, clock: Clock, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
    const iat = nowSeconds(clock);
    const payload: Record<string, unknown> = {
      iss: this.issuer,
      sub: `sub-of-${String(claims.username ?? 'app')}`,
      aud: AUDIENCE,
      context: 'outside-org',
      perms: ['csp:org_member'],
      iat,
      exp: iat + 1800,
      ...claims,
    };
    for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name];
    const protectedHeader = { alg: key.alg, kid: key.kid, typ: 'JWT', ...header };
    for (const name of Object.keys(protectedHeader))
      if ((protectedHeader as Record<string, unknown>)[name] === undefined) delete (protectedHeader as Record<string, unknown>)[name];
    return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(key.privateKey);
  }
}
