// Client authentication at the OAuth endpoints (RFC 6749 §2.3.1): HTTP Basic or client_id/client_secret
// form fields, never both; secrets checked against their stored hash.
import { ApiError } from '../errors.js';
import { type FormBody, optionalField } from '../http/form-body.js';
import { findServiceAccount, type ServiceAccount } from '../principals/service-accounts.js';
import type { Services } from '../services.js';
import { secretMatchesHash } from '../secrets/bearer-secrets.js';

export interface ClientCredentials {
  clientId: string;
  /** Absent when a client only names itself (client_id alone, as a public client does). */
  clientSecret?: string;
  method: 'client_secret_basic' | 'client_secret_post';
}

/** Sent with every invalid_client answer to a Basic attempt, as RFC 6749 §5.2 requires. */
const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="principal-mfa", charset="UTF-8"' };

function refuseClient(method: ClientCredentials['method'] | undefined): ApiError {
  return new ApiError('invalid_client', undefined, { headers: method === 'client_secret_basic' ? BASIC_CHALLENGE : {} });
}

/**
 * The client credentials a request carries, or undefined when it carries none. HTTP Basic with an
 * empty id and secret (what golang.org/x/oauth2 sends for a client without credentials) counts as none.
 */
export function readClientCredentials(authorization: string | undefined, body: FormBody): ClientCredentials | undefined {
  const basic = authorization !== undefined && /^basic(\s|$)/i.test(authorization.trim()) ? parseBasicAuth(authorization) : undefined;
  const formId = optionalField(body, 'client_id');
  const formSecret = optionalField(body, 'client_secret');
  if (basic) {
    if (formSecret !== undefined)
      throw new ApiError('invalid_request', 'invalid_request: Send the client secret either with HTTP Basic or as a form field, not both.');
    if (formId !== undefined && formId !== basic.clientId)
      throw new ApiError('invalid_request', 'invalid_request: client_id differs from the client of HTTP Basic authentication.');
    return basic;
  }
  if (formId === undefined) {
    if (formSecret !== undefined) throw refuseClient('client_secret_post');
    return undefined;
  }
  return { clientId: formId, clientSecret: formSecret, method: 'client_secret_post' };
}

/** `Authorization: Basic base64(id:secret)`, each part form-urlencoded (RFC 6749 §2.3.1). Malformed is a 401. */
function parseBasicAuth(header: string): ClientCredentials | undefined {
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) throw refuseClient('client_secret_basic');
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw refuseClient('client_secret_basic');
  let clientId: string;
  let clientSecret: string;
  try {
    clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    clientSecret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
  } catch {
    throw refuseClient('client_secret_basic');
  }
  if (clientId === '' && clientSecret === '') return undefined;
  if (clientId === '') throw refuseClient('client_secret_basic');
  return { clientId, clientSecret, method: 'client_secret_basic' };
}

/** The enabled service account these credentials prove, or 401 invalid_client. */
export async function authenticateClient(services: Services, credentials: ClientCredentials | undefined): Promise<ServiceAccount> {
  if (!credentials || credentials.clientSecret === undefined) throw refuseClient(credentials?.method);
  const account = await findServiceAccount(services.store, credentials.clientId);
  if (!account || !account.enabled || !secretMatchesHash(credentials.clientSecret, account.secretHash)) throw refuseClient(credentials.method);
  return account;
}
