// Which peers may name the client address in X-Forwarded-For (--trust-proxy), in Fastify's terms.
import type { TrustProxy } from '../config.js';

type FastifyTrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

/**
 * Addresses and CIDRs go to Fastify as they are: each hop is trusted only if it is one of them, and the
 * client is the first untrusted address counted from the right. A hop count becomes a function because
 * Fastify 5 trusts nothing for a bare number (it cannot tell whether the peer is really a proxy): the
 * count trusts the nearest `hops` peers blindly, so it is only safe when the proxies are the only way in.
 */
export function toFastifyTrustProxy(setting: TrustProxy): FastifyTrustProxy {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  if (typeof setting === 'boolean') return setting;
  return [...setting];
}
