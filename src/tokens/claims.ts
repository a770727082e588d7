// The claims of a verified access token, ours or a trusted outside issuer's. A leaf: the verifiers, the
// auth gate and the features read this type, and it imports nothing of theirs back.
import type { JWTPayload } from 'jose';

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  iss: string;
  exp: number;
  iat: number;
  jti: string;
  domain?: string;
  username?: string;
  context?: string;
  context_name?: string;
  perms?: string[];
  azp?: string;
  amr?: string[];
  auth_time?: number;
  acr?: string;
  /** Interactive sign-in only: the OIDC scope granted (space-separated). */
  scope?: string;
}
