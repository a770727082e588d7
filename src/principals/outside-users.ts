// Principals named by a trusted outside issuer: found by the exact `iss` and `sub` of its tokens, created
// on first use (just in time), their displayed username kept up to date; never matched by username.
import type { Clock } from '../clock.js';
import type { Store } from '../storage/database.js';
import { createUser, findUserBySubject, type User } from './users.js';

/** Who an outside token names, checked against the username and org rules when the token was verified. */
export interface OutsidePrincipal {
  issuer: string;
  subject: string;
  /** Shown only (status, audit, minted tokens); a user renamed at the issuer stays the same principal. */
  username: string;
  orgId: string;
  /** The issuer's own domain (see tokens/issuer-domains.ts). */
  domain: string;
  /**
   * Where this issuer's principals lived before migration 003 (its host), when no other trusted issuer shares
   * that host: such a row with this username is re-keyed to this subject. Undefined: old rows stay unlinked.
   */
  legacyDomain?: string;
}

export async function findOrCreateOutsideUser(store: Store, clock: Clock, principal: OutsidePrincipal): Promise<User> {
  const found = (await findUserBySubject(store, principal.issuer, principal.subject)) ?? (await claimLegacyUser(store, principal));
  if (found) return found.username === principal.username ? found : renameUser(store, found, principal.username);
  try {
    const { issuer, subject, username, orgId, domain } = principal;
    return await createUser(store, clock, { issuer, subject, username, orgId, domain, passwordHash: null });
  } catch (error) {
    // A concurrent first use (another request or copy) won the unique (issuer, subject) index.
    const raced = await findUserBySubject(store, principal.issuer, principal.subject);
    if (raced) return raced;
    throw error;
  }
}

/** Binds a row made before migration 003 (domain = issuer host, no issuer) to this issuer and subject, once. */
async function claimLegacyUser(store: Store, principal: OutsidePrincipal): Promise<User | undefined> {
  if (principal.legacyDomain === undefined) return undefined;
  const { issuer, subject, domain, username } = principal;
  const claimed = await store.principals.claimLegacy({ domain: principal.legacyDomain, username }, { issuer, subject, domain });
  // Nothing to claim, or a concurrent request claimed it first: findUserBySubject settles both.
  return claimed ? findUserBySubject(store, issuer, subject) : undefined;
}

async function renameUser(store: Store, user: User, username: string): Promise<User> {
  await store.principals.rename(user.id, username);
  return { ...user, username };
}
