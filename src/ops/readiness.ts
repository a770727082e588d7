// Whether this copy can serve: its store answers a trivial query and its limit store (Redis) is connected.
import type { Limits } from '../limits/limits.js';
import type { Store } from '../storage/database.js';

/** A probe must answer quickly even when a dependency hangs; the load balancer retries anyway. */
export const READINESS_TIMEOUT_MS = 2_000;

export interface Readiness {
  ready: boolean;
  store: boolean;
  limits: boolean;
}

function withTimeout(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
  return Promise.race([check.catch(() => false), timeout]).finally(() => clearTimeout(timer));
}

export async function checkReadiness(store: Store, limits: Limits, timeoutMs = READINESS_TIMEOUT_MS): Promise<Readiness> {
  const [storeOk, limitsOk] = await Promise.all([
    withTimeout(
      store.ping().then(() => true),
      timeoutMs,
    ),
    withTimeout(limits.ready ? limits.ready() : Promise.resolve(true), timeoutMs),
  ]);
  return { ready: storeOk && limitsOk, store: storeOk, limits: limitsOk };
}
