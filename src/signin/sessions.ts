// Browser sessions of the sign-in pages: a random id in an HttpOnly cookie, only its hash in the store, so
// any copy of the service serves any session and a copy of the database opens none. Idle and absolute
// lifetimes follow NIST SP 800-63B AAL2 by default (1 h idle, 12 h in all).
import { randomBytes } from 'node:crypto';
import { nowSeconds } from '../clock.js';
import { publicUrlOf } from '../config.js';
import { hashSecret } from '../secrets/bearer-secrets.js';
import type { Services } from '../services.js';
import type { Authentication, SignInSession } from '../storage/repositories/sign-in.js';

export type { Authentication, SignInSession };

/** Writing last_seen_at on every request would turn each SSO redirect into a write; a minute is precise enough. */
const TOUCH_INTERVAL_MS = 60_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export interface CookieNames {
  session: string;
  interaction: string;
  /** Secure cookies (and the __Host- prefix that needs it), unless this server is reached on loopback over http. */
  secure: boolean;
}

/** Cookie names and flags, from the configured public URL (never from the request's Host header). */
export function cookieNamesOf(services: Services): CookieNames {
  const url = new URL(publicUrlOf(services.config));
  const secure = url.protocol === 'https:' || !LOOPBACK_HOSTS.has(url.hostname);
  // __Host-: the browser refuses the cookie unless it is Secure, host-only and for path /: no subdomain can plant one.
  return secure
    ? { session: '__Host-pmfa-session', interaction: '__Host-pmfa-signin', secure }
    : { session: 'pmfa-session', interaction: 'pmfa-signin', secure };
}

/** Starts a session for a finished sign-in; returns the cookie value (shown only now). */
export async function startSession(services: Services, authentication: Authentication): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  const nowMs = services.clock.now();
  await services.store.signIn.insertSession({
    ...authentication,
    idHash: hashSecret(id),
    createdAt: nowMs,
    lastSeenAt: nowMs,
    expiresAt: nowMs + services.config.sessionMaxSeconds * 1000,
  });
  return id;
}

/** The live session of this cookie, or undefined (none, unknown, idle too long, past its end, user disabled). */
export async function findLiveSession(services: Services, cookieValue: string | undefined): Promise<SignInSession | undefined> {
  if (!cookieValue || cookieValue.length > 64) return undefined;
  const idHash = hashSecret(cookieValue);
  const session = await services.store.signIn.findSession(idHash);
  if (!session) return undefined;
  const nowMs = services.clock.now();
  const idle = nowMs - session.lastSeenAt >= services.config.sessionIdleSeconds * 1000;
  const user = await services.store.principals.findById(session.userId);
  if (idle || nowMs >= session.expiresAt || !user?.enabled) {
    await services.store.signIn.deleteSession(idHash);
    return undefined;
  }
  if (nowMs - session.lastSeenAt >= TOUCH_INTERVAL_MS) await services.store.signIn.touchSession(idHash, nowMs);
  return session;
}

export async function endSession(services: Services, cookieValue: string | undefined): Promise<void> {
  if (cookieValue && cookieValue.length <= 64) await services.store.signIn.deleteSession(hashSecret(cookieValue));
}

/** Seconds since the session's sign-in. */
export const sessionAgeSeconds = (services: Services, session: Authentication): number => nowSeconds(services.clock) - session.authTime;
