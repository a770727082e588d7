// The service's Prometheus metrics: one registry per Services instance (tests build many apps in one
// process); its counters follow the domain events, so feature code announces facts and never counts.
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { Events, LimitName } from '../events/events.js';
import { HttpMetrics } from './http-metrics.js';

export const METRICS_PREFIX = 'principal_mfa_';
const PREFIX = METRICS_PREFIX;

export interface Metrics {
  readonly registry: Registry;
  /** HTTP request count and latency by method, route template (or "unmatched") and status. */
  readonly http: HttpMetrics;
  /** Token grants by grant (a GrantName) and outcome ("success" or the errorCode). */
  readonly tokenExchanges: Counter<'grant' | 'outcome'>;
  readonly mfaActivations: Counter;
  /** Passcodes and recovery codes refused, on any endpoint. */
  readonly passcodeFailures: Counter;
  /** Passkey assertions refused, on any endpoint. */
  readonly webauthnFailures: Counter;
  /** Requests that carried a passcode or recovery code while the principal's MFA verification was locked. */
  readonly lockouts: Counter;
  /** A correct TOTP code refused because its time step was already used (or is older than the last one). */
  readonly replaysRefused: Counter;
  /** 429s from the rate limits, by policy ("requests" per principal, "failed_auth" per address, "api_token_exchanges" per API token). */
  readonly rateLimitRejections: Counter<'policy'>;
  /** Prometheus text: this registry plus the process-wide default metrics. */
  render(): Promise<string>;
  readonly contentType: string;
}

/** Process metrics (CPU, memory, event loop, GC) exist once per process, whatever the number of apps. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: PREFIX });
  }
  return processRegistry;
}

/**
 * The `policy` label of each limit. Passcode attempts are limited per principal at the MFA request rate,
 * and have always been counted as "requests".
 */
const POLICY_LABELS: Record<LimitName, string> = {
  requests: 'requests',
  passcodes: 'requests',
  failed_auth: 'failed_auth',
  api_token_exchanges: 'api_token_exchanges',
};

function countEvents(events: Events, metrics: Metrics): void {
  events.on('grant.succeeded', ({ grant }) => metrics.tokenExchanges.inc({ grant, outcome: 'success' }));
  // Anything but an ApiError is answered 500 internal_error: labelled with that status, as it always was.
  events.on('grant.failed', ({ grant, errorCode }) => metrics.tokenExchanges.inc({ grant, outcome: errorCode ?? '500' }));
  events.on('mfa.activated', () => metrics.mfaActivations.inc());
  events.on('passcode.refused', () => metrics.passcodeFailures.inc());
  events.on('webauthn.refused', () => metrics.webauthnFailures.inc());
  events.on('passcode.replayed', () => metrics.replaysRefused.inc());
  events.on('mfa.locked_out', () => metrics.lockouts.inc());
  events.on('rate_limited', ({ limit }) => metrics.rateLimitRejections.inc({ policy: POLICY_LABELS[limit] }));
}

/** The metrics of one Services instance, counting the events on `events` from now on. */
export function createMetrics(events: Events): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const metrics: Metrics = {
    registry,
    http: new HttpMetrics(PREFIX),
    tokenExchanges: new Counter({
      name: `${PREFIX}token_exchanges_total`,
      help: 'Token grants by grant type and outcome (success or the errorCode).',
      labelNames: ['grant', 'outcome'] as const,
      registers,
    }),
    mfaActivations: new Counter({ name: `${PREFIX}mfa_activations_total`, help: 'MFA devices activated by a first code.', registers }),
    passcodeFailures: new Counter({ name: `${PREFIX}passcode_failures_total`, help: 'Passcodes and recovery codes refused, on any endpoint.', registers }),
    webauthnFailures: new Counter({ name: `${PREFIX}webauthn_failures_total`, help: 'Passkey assertions refused, on any endpoint.', registers }),
    lockouts: new Counter({
      name: `${PREFIX}mfa_lockouts_total`,
      help: 'Requests refused because the principal is locked out of MFA verification.',
      registers,
    }),
    replaysRefused: new Counter({
      name: `${PREFIX}passcode_replays_refused_total`,
      help: 'TOTP codes refused because their time step was already used.',
      registers,
    }),
    rateLimitRejections: new Counter({
      name: `${PREFIX}rate_limit_rejections_total`,
      help: 'Requests refused by a rate limit, by policy.',
      labelNames: ['policy'] as const,
      registers,
    }),
    contentType: registry.contentType,
    async render() {
      return `${metrics.http.render()}${await registry.metrics()}\n${await processMetrics().metrics()}`;
    },
  };
  // Zero-valued series exist from the start, so dashboards and rate() see them before the first event.
  for (const counter of [metrics.mfaActivations, metrics.passcodeFailures, metrics.lockouts, metrics.replaysRefused]) counter.inc(0);
  for (const policy of new Set(Object.values(POLICY_LABELS))) metrics.rateLimitRejections.inc({ policy }, 0);
  countEvents(events, metrics);
  return metrics;
}
