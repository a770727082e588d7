// OIDC ID tokens for user principals, sent as id_token beside the access token, as CSP does.
import { type User, userSubject } from '../principals/users.js';
import type { Services } from '../services.js';
import type { SigningKey } from './key-ring.js';
import type { SignInProof } from './sign-in-gate.js';
import { signCompactJws } from './jws-signer.js';

export interface IdTokenInput {
  user: User;
  /** The client the token is for: its `aud` and `azp`. */
  clientId: string;
  /** Epoch seconds; the access token issued with it has the same `iat` and `exp`. */
  issuedAt: number;
  /** The MFA verification of this sign-in, when there was one. */
  proof: SignInProof | undefined;
  /** An interactive sign-in (authorization code, refresh): its own amr, acr, auth_time and the request's nonce. */
  signIn?: { amr: string[]; acr: string; authTime: number; nonce?: string };
}

/**
 * Signed by `signer` (default: the access-token key; an ES256 client's sign-in passes the EC key) with our issuer, but it can never pass as an access token: it has no
 * `jti`, which the csp-auth-token verifier requires, and it carries no `perms` or `context`.
 * `amr` appears only when an MFA method was used: no registered value names "an API token", and a
 * relying party checking `amr` for a second factor must not be misled.
 */
export async function mintIdToken(services: Services, input: IdTokenInput, signer?: SigningKey): Promise<string> {
  const { kid, alg, privateKey } = signer ?? (await services.keys.signingKey());
  const { user, proof } = input;
  const claims: Record<string, unknown> = {
    azp: input.clientId,
    // Without MFA the API token's presentation is the authentication.
    auth_time: proof?.authTime ?? input.issuedAt,
    username: user.username,
    acct: user.username,
    domain: user.domain,
  };
  if (proof) claims.amr = proof.amr;
  if (input.signIn) {
    claims.auth_time = input.signIn.authTime;
    claims.amr = input.signIn.amr;
    claims.acr = input.signIn.acr;
    if (input.signIn.nonce !== undefined) claims.nonce = input.signIn.nonce;
  }
  const registered = {
    iss: services.config.issuer,
    sub: userSubject(user),
    aud: input.clientId,
    iat: input.issuedAt,
    exp: input.issuedAt + services.issuer.ttlSeconds,
  };
  return signCompactJws({ alg, typ: 'JWT', kid }, { ...claims, ...registered }, privateKey);
}
