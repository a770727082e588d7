// Everything a running server needs, created once from the config: store, keys, token issuer and
// verifier, limits. buildApp() takes this and opens nothing itself.
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { createMemoryLimits, type Limits } from './limits/limits.js';
import { openStore, type Store } from './storage/database.js';
import { AccessTokenIssuer, AccessTokenVerifier } from './tokens/access-tokens.js';
import { noMfaGate, type SignInGate } from './tokens/sign-in-gate.js';
import { ensureSigningKey, KeyRing } from './tokens/signing-keys.js';

export interface Services {
  config: Config;
  clock: Clock;
  store: Store;
  keys: KeyRing;
  issuer: AccessTokenIssuer;
  verifier: AccessTokenVerifier;
  limits: Limits;
  signInGate: SignInGate;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  clock?: Clock;
  store?: Store;
  limits?: Limits;
  logger?: Logger;
}

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const clock = overrides.clock ?? systemClock;
  const store = overrides.store ?? (await openStore(config.databaseUrl));
  await ensureSigningKey(store, clock);
  const keys = new KeyRing(store, clock, config.accessTokenTtlSeconds);
  await keys.load();
  const issuer = new AccessTokenIssuer(keys, clock, config.issuer, config.accessTokenTtlSeconds);
  const verifier = new AccessTokenVerifier(keys, clock, {
    issuer: config.issuer,
    maxTokenBytes: config.maxTokenBytes,
    maxLifetimeSeconds: config.accessTokenTtlSeconds,
  });
  const limits = overrides.limits ?? createMemoryLimits(config);
  return {
    config,
    clock,
    store,
    keys,
    issuer,
    verifier,
    limits,
    signInGate: noMfaGate,
    async close() {
      await limits.close?.();
      await store.close();
    },
  };
}
