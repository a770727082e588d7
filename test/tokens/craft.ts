// Hand-made access tokens for hostile-case tests: signed with the server's own key (or another one),
// with any header and claims, so each test changes exactly one thing from a valid token.
import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { nowSeconds } from '../../src/clock.js';
import type { User } from '../../src/principals/users.js';
import type { TestServer } from '../support/server.js';

type SigningKey = Parameters<SignJWT['sign']>[0];

/** The claims a real user token of this server carries. */
export function userClaims(server: TestServer, user: User): JWTPayload & Record<string, unknown> {
  const iat = nowSeconds(server.services.clock);
  return {
    iss: server.services.config.issuer,
    sub: `${user.domain}:${user.id}`,
    username: user.username,
    domain: user.domain,
    context: user.orgId,
    context_name: user.orgId,
    perms: ['csp:org_member'],
    azp: 'principal-mfa-api-token',
    iat,
    exp: iat + server.services.config.accessTokenTtlSeconds,
    jti: randomUUID(),
  };
}

export interface CraftOptions {
  /** Claims to set (undefined deletes the claim). */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Sign with this key instead of the server's signing key. */
  key?: SigningKey;
}

/** A JWT for `user` signed (RS256 by default) with the server's current signing key, changed as asked. */
export async function craftToken(server: TestServer, user: User, options: CraftOptions = {}): Promise<string> {
  const signer = await server.services.keys.signingKey();
  const claims: Record<string, unknown> = { ...userClaims(server, user), ...options.claims };
  for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
  const header = { alg: 'RS256', typ: 'JWT', kid: signer.kid, ...options.header };
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(options.key ?? (signer.privateKey as SigningKey));
}

/** Base64url of a JSON value, for tokens built without any library. */
export const b64json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
