// Who passkeys are bound to: the WebAuthn relying party id and the one origin whose pages may use them.
import { isIP } from 'node:net';
import { type Config, publicUrlOf } from '../config.js';

export interface RelyingParty {
  /** Shown by browsers and authenticators next to the account. */
  name: string;
  id: string;
  origin: string;
}

export const RELYING_PARTY_NAME = 'principal-mfa';

const isLoopbackAddress = (host: string): boolean => isIP(host) !== 0 && (host.startsWith('127.') || host === '::1' || host === '[::1]');

/**
 * --webauthn-rp-id and --webauthn-origin, each defaulting to the public URL. Browsers refuse an IP address
 * as RP id, so a loopback public URL (the --dev quick start) becomes http://localhost with the same port.
 */
export function relyingPartyOf(config: Pick<Config, 'webauthnRpId' | 'webauthnOrigin' | 'publicUrl' | 'issuer' | 'dev' | 'host' | 'port'>): RelyingParty {
  const publicUrl = new URL(publicUrlOf(config));
  if (isLoopbackAddress(publicUrl.hostname)) publicUrl.hostname = 'localhost';
  const origin = config.webauthnOrigin ? new URL(config.webauthnOrigin).origin : publicUrl.origin;
  const id = config.webauthnRpId ?? new URL(origin).hostname;
  return { name: RELYING_PARTY_NAME, id, origin };
}
