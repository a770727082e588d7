// Everything a running server needs, created once from the config: store, keys, token issuer and
// verifier, limits. buildApp() takes this and opens nothing itself.
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { createEvents, type Events } from './events/events.js';
import { createLimits, type Limits } from './limits/limits.js';
import { createMetrics, METRICS_PREFIX, type Metrics } from './metrics/metrics.js';
import { registerOrgGauges } from './metrics/org-gauges.js';
import { openStore, type Store } from './storage/database.js';
import { AccessTokenIssuer, AccessTokenVerifier } from './tokens/access-tokens.js';
import type { SignInGate } from './tokens/sign-in-gate.js';
import { createMfaSignInGate } from './mfa/sign-in-gate.js';
import { createPasskeySignInGate } from './authenticators/sign-in-gate.js';
import { relyingPartyOf } from './authenticators/relying-party.js';
import { loadMasterKey, MasterKeyError } from './secrets/master-key-file.js';
import { KeyRing } from './tokens/key-ring.js';
import { prepareSigningKeys, retiredKeyRetentionMs } from './tokens/signing-keys.js';
import { TrustedIssuers } from './tokens/trusted-issuers.js';

export interface Services {
  config: Config;
  clock: Clock;
  store: Store;
  keys: KeyRing;
  issuer: AccessTokenIssuer;
  verifier: AccessTokenVerifier;
  limits: Limits;
  signInGate: SignInGate;
  /** AES-256-GCM key that seals TOTP seeds and private signing keys at rest; no server runs without it. */
  masterKey: Buffer;
  /** Domain events of this instance (grants, activations, refused passcodes, lockouts, rate limits). */
  events: Events;
  /** Prometheus metrics of this instance (one registry each: tests run many apps in one process), fed by its events. */
  metrics: Metrics;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  store?: Store;
  /** Limits announcing their refusals on this instance's events (tests: Redis limits under a key prefix of their own). */
  limits?: (events: Events) => Limits;
  /** The master key itself, instead of reading config.masterKeyFile. */
  masterKey?: Buffer;
}

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const masterKey = overrides.masterKey ?? (config.masterKeyFile ? await loadMasterKey(config.masterKeyFile) : undefined);
  // Checked before the store is opened: the private signing key cannot be used (or created) without it.
  if (!masterKey) throw new MasterKeyError('no master key: the server needs --master-key-file to open its signing keys and MFA seeds');
  const store = overrides.store ?? (await openStore(config.databaseUrl));
  const keys = new KeyRing(store, clock, masterKey, config.accessTokenTtlSeconds);
  try {
    await prepareSigningKeys(store, clock, masterKey, retiredKeyRetentionMs(config.accessTokenTtlSeconds));
    await keys.load();
  } catch (error) {
    if (!overrides.store) await store.close();
    throw error;
  }
  keys.watch();
  const issuer = new AccessTokenIssuer(keys, clock, config.issuer, config.accessTokenTtlSeconds);
  const verifier = new AccessTokenVerifier(keys, clock, {
    issuer: config.issuer,
    maxTokenBytes: config.maxTokenBytes,
    maxLifetimeSeconds: config.accessTokenTtlSeconds,
    trusted: config.trustedIssuers.length > 0 ? new TrustedIssuers(config.trustedIssuers, clock) : undefined,
  });
  const events = createEvents();
  const limits = overrides.limits?.(events) ?? (await createLimits(config, events));
  const metrics = createMetrics(events);
  const secondFactorDeps = {
    store,
    clock,
    masterKey,
    lockout: { threshold: config.lockoutThreshold, lockoutSeconds: config.lockoutSeconds },
    events,
    passcodeGuard: (key: string) => limits.passcodeGuard(key),
  };
  registerOrgGauges(metrics.registry, store.orgPrincipals, clock, METRICS_PREFIX);
  return {
    config,
    clock,
    store,
    keys,
    issuer,
    verifier,
    limits,
    signInGate: createPasskeySignInGate({ ...secondFactorDeps, relyingParty: relyingPartyOf(config) }, createMfaSignInGate(secondFactorDeps)),
    masterKey,
    events,
    metrics,
    async close() {
      await keys.close();
      await limits.close?.();
      await store.close();
    },
  };
}
