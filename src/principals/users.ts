// Users: the principals that own an MFA device. Lookups by id sit on the hot path of every MFA request.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';
import type { User } from '../storage/repositories/principals.js';

export type { User };

export const DEFAULT_DOMAIN = 'local';
export const DEFAULT_ORG = 'default';

/**
 * The current row on every call: disable/delete by the CLI must win on the next request. On SQLite the
 * read goes through a cache that any committed change empties (see storage/sqlite-read-cache.ts).
 * Not async: the hot path passes the repository's promise on instead of wrapping it in another.
 */
export function findUserById(store: Store, id: string): Promise<User | undefined> {
  return store.principals.findById(id);
}

/**
 * The user who owns this name in the domain: a local user, or an outside principal made before migration
 * 003 (not yet keyed by issuer and subject). Outside principals proper are found by findUsersInDomain.
 */
export function findUserByUsername(store: Store, username: string, domain = DEFAULT_DOMAIN): Promise<User | undefined> {
  return store.principals.findLocal(username, domain);
}

/**
 * Every principal of a domain shown by this name, or holding this subject (outside names are not unique).
 */
export function findUsersInDomain(store: Store, domain: string, by: { username: string } | { subject: string }): Promise<User[]> {
  if ('subject' in by) return store.principals.findOutsideBySubjectInDomain(domain, by.subject);
  return store.principals.findAllNamedInDomain(domain, by.username);
}

/** The outside principal named by an issuer's `iss` and `sub`. */
export function findUserBySubject(store: Store, issuer: string, subject: string): Promise<User | undefined> {
  return store.principals.findBySubject(issuer, subject);
}

export interface NewUser {
  username: string;
  domain?: string;
  orgId?: string;
  passwordHash?: string | null;
  id?: string;
  issuer?: string;
  subject?: string;
}

export async function createUser(store: Store, clock: Clock, input: NewUser): Promise<User> {
  const user = {
    id: input.id ?? randomUUID(),
    username: input.username,
    domain: input.domain ?? DEFAULT_DOMAIN,
    orgId: input.orgId ?? DEFAULT_ORG,
    passwordHash: input.passwordHash ?? null,
    issuer: input.issuer ?? null,
    subject: input.subject ?? null,
  };
  await store.principals.insert({ ...user, createdAt: clock.now() });
  return { ...user, enabled: true };
}

export function setUserEnabled(store: Store, id: string, enabled: boolean): Promise<void> {
  return store.principals.setEnabled(id, enabled);
}

/** A new password (hash) for the user; the old one stops working at once. */
export function setUserPasswordHash(store: Store, id: string, passwordHash: string): Promise<void> {
  return store.principals.setPasswordHash(id, passwordHash);
}

export function deleteUser(store: Store, id: string): Promise<void> {
  return store.principals.delete(id);
}

/** `sub` claim of a user's access token: `<domain>:<id>`, as CSP does. */
export const userSubject = (user: Pick<User, 'domain' | 'id'>): string => `${user.domain}:${user.id}`;

/** The user id inside a `sub`, or undefined when the subject is not ours. */
export function userIdFromSubject(sub: string): string | undefined {
  const at = sub.lastIndexOf(':');
  return at > 0 ? sub.slice(at + 1) : undefined;
}
