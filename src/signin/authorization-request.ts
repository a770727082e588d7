// The authorization request (OIDC Core §3.1.2.1) read and checked in the order §3.1.2.6 needs: first the
// client and its exact redirect URI (a bad one is a page, never a redirect), then everything else
// (a bad value is a redirect back with `error`).
import type { FormBody } from '../http/form-body.js';
import { ACR_MFA } from './assurance.js';
import { type Application, findApplication } from './applications.js';
import type { Services } from '../services.js';

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  /** Granted scope values (known ones only), space-separated; always with openid. */
  scope: string;
  codeChallenge: string;
  /** prompt=login: ask for the password even with a live session. prompt=none: never show a page. */
  prompt: 'login' | 'none' | undefined;
  /** Seconds; a session authenticated longer ago signs in again. */
  maxAge: number | undefined;
  /** acr_values asked for the MFA class: the second factor is mandatory. */
  mfaRequired: boolean;
}

/** The request cannot be trusted to redirect: shown as a page. */
export class AuthorizationPageError extends Error {}

/** A redirect back to the client with `error` (RFC 6749 §4.1.2.1). */
export class AuthorizationRedirectError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly request: Pick<AuthorizationRequest, 'redirectUri' | 'state'>,
  ) {
    super(description);
  }
}

export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const PKCE_VERIFIER_OR_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
/** Parameter values longer than this are refused: nothing legitimate comes close. */
const MAX_PARAMETER_LENGTH = 2048;

const param = (params: FormBody, name: string): string | undefined => {
  const value = params[name];
  return value === undefined || value === '' ? undefined : value;
};

export async function readAuthorizationRequest(
  services: Pick<Services, 'store' | 'config'>,
  params: FormBody,
): Promise<{ request: AuthorizationRequest; application: Application }> {
  for (const value of Object.values(params)) if (value.length > MAX_PARAMETER_LENGTH) throw new AuthorizationPageError('A request parameter is too long.');
  const clientId = param(params, 'client_id');
  if (!clientId) throw new AuthorizationPageError('The request names no application (client_id is missing).');
  const application = await findApplication(services, clientId);
  if (!application) throw new AuthorizationPageError('The application is not registered here.');
  const redirectUri = param(params, 'redirect_uri');
  // Exact string match, as OAuth 2.1 and the Security BCP require: no prefix, no normalisation.
  if (!redirectUri || !application.redirectUris.includes(redirectUri))
    throw new AuthorizationPageError('The redirect URI is not one registered for this application.');

  const state = param(params, 'state');
  const fail = (error: string, description: string) => new AuthorizationRedirectError(error, description, { redirectUri, state });
  if (param(params, 'request') || param(params, 'request_uri')) throw fail('request_not_supported', 'Request objects are not supported.');
  const responseType = param(params, 'response_type');
  if (responseType !== 'code') throw fail('unsupported_response_type', 'response_type must be code.');
  if (param(params, 'response_mode') && param(params, 'response_mode') !== 'query') throw fail('invalid_request', 'response_mode must be query.');
  const scopes = (param(params, 'scope') ?? '').split(' ').filter(Boolean);
  if (!scopes.includes('openid')) throw fail('invalid_scope', 'scope must include openid.');
  const method = param(params, 'code_challenge_method');
  const codeChallenge = param(params, 'code_challenge');
  if (!codeChallenge) throw fail('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256.');
  if (method !== 'S256') throw fail('invalid_request', 'code_challenge_method must be S256 (plain is not accepted).');
  if (!PKCE_VERIFIER_OR_CHALLENGE.test(codeChallenge)) throw fail('invalid_request', 'code_challenge is not a base64url SHA-256 value.');
  const prompts = (param(params, 'prompt') ?? '').split(' ').filter(Boolean);
  if (prompts.includes('none') && prompts.length > 1) throw fail('invalid_request', 'prompt=none cannot be combined with other values.');
  const maxAgeText = param(params, 'max_age');
  if (maxAgeText !== undefined && !/^\d{1,9}$/.test(maxAgeText)) throw fail('invalid_request', 'max_age must be a whole number of seconds.');
  const acrValues = (param(params, 'acr_values') ?? '').split(' ').filter(Boolean);
  const granted = SUPPORTED_SCOPES.filter((scope) => scopes.includes(scope));
  return {
    application,
    request: {
      clientId,
      redirectUri,
      state,
      nonce: param(params, 'nonce'),
      scope: granted.join(' '),
      codeChallenge,
      prompt: prompts.includes('none') ? 'none' : prompts.includes('login') ? 'login' : undefined,
      maxAge: maxAgeText === undefined ? undefined : Number(maxAgeText),
      mfaRequired: acrValues.includes(ACR_MFA),
    },
  };
}

/** The redirect URI with the answer's parameters added to its query (RFC 6749 §4.1.2, RFC 9207 `iss`). */
export function redirectWith(redirectUri: string, answer: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(answer)) if (value !== undefined) url.searchParams.append(name, value);
  return url.toString();
}
