// Reading what the browser sent back (RegistrationResponseJSON, AuthenticationResponseJSON) before any
// verification: the shape, bounded sizes, and the challenge it answers (from clientDataJSON).
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { PasskeyRefusal } from './refusal.js';

/** Real clientDataJSON is a few hundred bytes; more is refused before it is parsed. */
export const MAX_CLIENT_DATA_BYTES = 4096;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function base64urlField(object: Record<string, unknown>, name: string, required = true): string | undefined {
  const value = object[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '' || !BASE64URL.test(value)) throw new PasskeyRefusal(`${name} must be a base64url string.`);
  return value;
}

/** The response as an object: the API's JSON bodies send one, the token exchange's form field a JSON string. */
function asObject(input: unknown): Record<string, unknown> {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new PasskeyRefusal('The WebAuthn response is not JSON.');
    }
  }
  if (!isObject(value) || !isObject(value.response)) throw new PasskeyRefusal('The WebAuthn response must be an object with a response object.');
  if (value.type !== 'public-key') throw new PasskeyRefusal('The WebAuthn response type must be public-key.');
  base64urlField(value, 'id');
  base64urlField(value, 'rawId');
  return value;
}

/** The challenge the client data answers; refuses oversized or malformed client data. */
function challengeOf(clientDataJSON: string): string {
  if (Math.ceil((clientDataJSON.length * 3) / 4) > MAX_CLIENT_DATA_BYTES)
    throw new PasskeyRefusal(`clientDataJSON is larger than ${MAX_CLIENT_DATA_BYTES} bytes.`);
  let clientData: unknown;
  try {
    clientData = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
  } catch {
    throw new PasskeyRefusal('clientDataJSON is not JSON.');
  }
  if (!isObject(clientData) || typeof clientData.challenge !== 'string' || clientData.challenge === '')
    throw new PasskeyRefusal('clientDataJSON carries no challenge.');
  return clientData.challenge;
}

export function readRegistrationResponse(input: unknown): { response: RegistrationResponseJSON; challenge: string } {
  const value = asObject(input);
  const inner = value.response as Record<string, unknown>;
  const clientDataJSON = base64urlField(inner, 'clientDataJSON')!;
  base64urlField(inner, 'attestationObject');
  const challenge = challengeOf(clientDataJSON);
  if (inner.transports !== undefined && (!Array.isArray(inner.transports) || !inner.transports.every((t) => typeof t === 'string' && t.length <= 32)))
    throw new PasskeyRefusal('transports must be a list of strings.');
  if (value.clientExtensionResults === undefined) value.clientExtensionResults = {};
  return { response: value as unknown as RegistrationResponseJSON, challenge };
}

export function readAuthenticationResponse(input: unknown): { response: AuthenticationResponseJSON; challenge: string } {
  const value = asObject(input);
  const inner = value.response as Record<string, unknown>;
  const clientDataJSON = base64urlField(inner, 'clientDataJSON')!;
  base64urlField(inner, 'authenticatorData');
  base64urlField(inner, 'signature');
  base64urlField(inner, 'userHandle', false);
  const challenge = challengeOf(clientDataJSON);
  if (value.clientExtensionResults === undefined) value.clientExtensionResults = {};
  return { response: value as unknown as AuthenticationResponseJSON, challenge };
}
