// Authorization codes: 256 random bits, stored hashed, single use, 60 seconds, bound to the client, the
// redirect URI and the PKCE challenge (RFC 7636 S256).
import { createHash, timingSafeEqual } from 'node:crypto';
import { generateSecret, hashSecret } from '../secrets/bearer-secrets.js';
import type { Services } from '../services.js';
import type { Authentication } from '../storage/repositories/sign-in.js';
import { acrOf } from './assurance.js';
import type { AuthorizationRequest } from './authorization-request.js';

export const CODE_LIFETIME_SECONDS = 60;
export const CODE_PREFIX = 'pmfa_ac_';

export async function issueAuthorizationCode(services: Services, request: AuthorizationRequest, authentication: Authentication): Promise<string> {
  const code = generateSecret(CODE_PREFIX);
  const nowMs = services.clock.now();
  await services.store.signIn.insertCode(
    {
      codeHash: hashSecret(code),
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      userId: authentication.userId,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce ?? null,
      scope: request.scope,
      authTime: authentication.authTime,
      amr: authentication.amr,
      acr: acrOf(authentication.amr),
      expiresAt: nowMs + CODE_LIFETIME_SECONDS * 1000,
    },
    nowMs,
  );
  return code;
}

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, compared in constant time. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  const actual = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
