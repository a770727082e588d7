// Domain events: facts that feature code announces where they happen (a grant issued a token, a passcode
// was refused, a limit refused a request) and that observers such as metrics subscribe to, after
// node-oidc-provider's `provider.emit('grant.success')`. Audit is no observer: it is written in the
// same transaction as the change it records.
import type { ErrorCode } from '../errors.js';

/** The token grants: 'api_token' is the API-token exchange; 'other' a grant_type we do not offer (or none). */
export type GrantName = 'api_token' | 'client_credentials' | 'refresh_token' | 'authorization_code' | 'other';

/** The limits that can refuse: MFA API requests and passcode attempts per principal, failed authentications per address, exchanges per API token. */
export type LimitName = 'requests' | 'passcodes' | 'failed_auth' | 'api_token_exchanges';

/** Every event by name, with its payload. */
export interface DomainEvents {
  /** A token grant issued an access token. */
  'grant.succeeded': { grant: GrantName };
  /** A token grant was refused; errorCode is undefined for an unexpected error (answered 500 internal_error). */
  'grant.failed': { grant: GrantName; errorCode: ErrorCode | undefined };
  /** A device was activated by its first code (committed). */
  'mfa.activated': { userId: string };
  /** A passcode or recovery code was refused, on any endpoint (wrong, malformed, or a replay). */
  'passcode.refused': { userId: string };
  /** A passkey assertion was refused (bad signature, origin, counter, user verification…), on any endpoint. */
  'webauthn.refused': { userId: string };
  /** A correct TOTP code was refused because its time step was already used (or is older than the last one). */
  'passcode.replayed': { userId: string };
  /** A passcode, recovery code or password was not even checked: the principal's MFA verification is locked. */
  'mfa.locked_out': { userId: string };
  /** A rate limit refused a request. */
  rate_limited: { limit: LimitName };
}

export type EventName = keyof DomainEvents;
export type Listener<E extends EventName> = (payload: DomainEvents[E]) => void;

export interface Events {
  /** Calls every listener of `name` now, in order; a listener that throws is reported, never thrown at the emitter. */
  emit<E extends EventName>(name: E, payload: DomainEvents[E]): void;
  on<E extends EventName>(name: E, listener: Listener<E>): void;
}

/** A failing listener is a bug in an observer: written to stderr as a process warning, and the fact's own code goes on. */
function warnListenerFailed(error: unknown, name: EventName): void {
  process.emitWarning(`a listener of ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, {
    code: 'PRINCIPAL_MFA_EVENT_LISTENER',
  });
}

/**
 * A synchronous typed emitter, hand-written rather than node:events: emit must never throw into the
 * feature code that announces a fact (node:events rethrows a listener's error), and the map of names to
 * payloads types both sides.
 */
export function createEvents(onListenerError: (error: unknown, name: EventName) => void = warnListenerFailed): Events {
  const listeners = new Map<EventName, Listener<never>[]>();
  return {
    emit(name, payload) {
      const list = listeners.get(name) as Listener<typeof name>[] | undefined;
      if (!list) return;
      for (const listener of list) {
        try {
          listener(payload);
        } catch (error) {
          onListenerError(error, name);
        }
      }
    },
    on(name, listener) {
      const list = listeners.get(name) ?? [];
      list.push(listener as Listener<never>);
      listeners.set(name, list);
    },
  };
}
