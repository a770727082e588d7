// The authorization endpoint's decision and the end of a sign-in: single sign-on from a live session
// when the request allows it, else the sign-in pages; a finished sign-in starts a session and goes back
// to the application with a code.
import { nowSeconds } from '../clock.js';
import type { Services } from '../services.js';
import type { Authentication, SignInSession } from '../storage/repositories/sign-in.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { redirectWith } from './authorization-request.js';
import { issueAuthorizationCode } from './codes.js';
import { sessionAgeSeconds } from './sessions.js';

/** Whether a live session answers this request without a new sign-in (OIDC Core §3.1.2.3). */
export function sessionSatisfies(services: Services, session: SignInSession | undefined, request: AuthorizationRequest): session is SignInSession {
  if (!session || request.prompt === 'login') return false;
  if (request.maxAge !== undefined && (request.maxAge === 0 || sessionAgeSeconds(services, session) > request.maxAge)) return false;
  if (request.mfaRequired && !session.amr.includes('mfa')) return false;
  return true;
}

/** Where the browser goes back to: the redirect URI with the code, the state and our issuer (RFC 9207). */
export async function redirectWithCode(services: Services, request: AuthorizationRequest, authentication: Authentication): Promise<string> {
  const code = await issueAuthorizationCode(services, request, authentication);
  return redirectWith(request.redirectUri, { code, state: request.state, iss: services.config.issuer });
}

export function redirectWithError(
  services: Services,
  request: Pick<AuthorizationRequest, 'redirectUri' | 'state'>,
  error: string,
  description: string,
): string {
  return redirectWith(request.redirectUri, { error, error_description: description, state: request.state, iss: services.config.issuer });
}

export const authenticationNow = (services: Services, userId: string, amr: string[], authTime = nowSeconds(services.clock)): Authentication => ({
  userId,
  amr,
  authTime,
});
