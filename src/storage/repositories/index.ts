// One repository per aggregate, all over one Kysely executor: the store itself, or one transaction.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { type ApplicationsRepository, createApplicationsRepository } from './applications.js';
import { type ApiTokensRepository, createApiTokensRepository } from './api-tokens.js';
import { type AuditRepository, createAuditRepository } from './audit.js';
import { type ClientsRepository, createClientsRepository } from './clients.js';
import { createFinishedInteractionsRepository, type FinishedInteractionsRepository } from './finished-interactions.js';
import { createDevicesRepository, type DeviceState, type DevicesRepository } from './devices.js';
import { createLockoutsRepository, type LockoutsRepository } from './lockouts.js';
import { createPrincipalsRepository, type PrincipalsRepository, type User, type UserWithMfaState } from './principals.js';
import { createOrgAuditRepository, type OrgAuditRepository } from './org-audit.js';
import { createOrgPoliciesRepository, type OrgPoliciesRepository } from './org-policies.js';
import { createOrgPrincipalsRepository, type OrgPrincipalsRepository } from './org-principals.js';
import { createRecoveryCodesRepository, type RecoveryCodesRepository } from './recovery-codes.js';
import { createSignInRepository, type SignInRepository } from './sign-in.js';
import { createSigningKeysRepository, type SigningKeysRepository } from './signing-keys.js';
import { createWebauthnChallengesRepository, type WebauthnChallengesRepository } from './webauthn-challenges.js';
import { createWebauthnCredentialsRepository, type WebauthnCredentialsRepository } from './webauthn-credentials.js';

export interface Repositories {
  readonly principals: PrincipalsRepository;
  readonly devices: DevicesRepository;
  readonly recoveryCodes: RecoveryCodesRepository;
  readonly lockouts: LockoutsRepository;
  readonly audit: AuditRepository;
  readonly signingKeys: SigningKeysRepository;
  readonly clients: ClientsRepository;
  readonly apiTokens: ApiTokensRepository;
  readonly webauthnCredentials: WebauthnCredentialsRepository;
  readonly webauthnChallenges: WebauthnChallengesRepository;
  readonly orgPolicies: OrgPoliciesRepository;
  readonly orgPrincipals: OrgPrincipalsRepository;
  readonly orgAudit: OrgAuditRepository;
  /** Applications that sign people in (OpenID Connect clients). */
  readonly applications: ApplicationsRepository;
  /** Browser sessions, authorization codes, refresh tokens. */
  readonly signIn: SignInRepository;
  /** Sign-ins that have finished: their interaction cookie finishes nothing again. */
  readonly finishedInteractions: FinishedInteractionsRepository;
}

/**
 * The reads of every MFA request, specialised by the driver (prepared statements on a connection of their
 * own): they replace the plain Kysely reads of the store's repositories, never those of a transaction,
 * which must see its own writes.
 */
export interface HotReads {
  findUserById(id: string): Promise<User | undefined>;
  findDeviceState(userId: string): Promise<DeviceState | undefined>;
  findUserWithMfaState(id: string): Promise<UserWithMfaState | undefined>;
  /** The same read answered at once, by a driver that reads synchronously (SQLite): no promise on the hot path. */
  findUserWithMfaStateNow?(id: string): UserWithMfaState | undefined;
}

export function createRepositories(db: Kysely<Database>, hot?: HotReads): Repositories {
  return {
    principals: createPrincipalsRepository(db, hot),
    devices: createDevicesRepository(db, hot?.findDeviceState),
    recoveryCodes: createRecoveryCodesRepository(db),
    lockouts: createLockoutsRepository(db),
    audit: createAuditRepository(db),
    signingKeys: createSigningKeysRepository(db),
    clients: createClientsRepository(db),
    apiTokens: createApiTokensRepository(db),
    webauthnCredentials: createWebauthnCredentialsRepository(db),
    webauthnChallenges: createWebauthnChallengesRepository(db),
    orgPolicies: createOrgPoliciesRepository(db),
    orgPrincipals: createOrgPrincipalsRepository(db),
    orgAudit: createOrgAuditRepository(db),
    applications: createApplicationsRepository(db),
    signIn: createSignInRepository(db),
    finishedInteractions: createFinishedInteractionsRepository(db),
  };
}
