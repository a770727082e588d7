// Kysely table types: the single description of the store's shape, shared by SQLite and PostgreSQL.
// Timestamps are epoch milliseconds (bigint); booleans are 0/1 integers so both dialects agree.
import type { Generated } from 'kysely';

export interface UsersTable {
  id: string;
  username: string;
  domain: string;
  org_id: string;
  password_hash: string | null;
  enabled: number;
  created_at: number;
  /** Outside principals only: the exact `iss` and `sub` of their issuer's tokens (unique together); null for local users. */
  issuer?: string | null;
  subject?: string | null;
  /** org_owner, org_admin or org_member (migration 009): the principal's role in its organization. */
  role: Generated<string>;
  /** When an admin reset restarted the principal's MFA grace period (migration 009); null: never. */
  mfa_grace_from?: number | null;
}

export interface ServiceAccountsTable {
  client_id: string;
  name: string;
  secret_hash: string;
  org_id: string;
  enabled: number;
  created_at: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  /**
   * Private JWK as JSON, sealed with the master key (AES-256-GCM, the kid as AAD; see tokens/signing-keys.ts).
   * Empty once the key is retired: only the active key ever signs.
   */
  private_jwk: string;
  /** Public JWK as JSON (no private members). */
  public_jwk: string;
  created_at: number;
  /** When a newer key took over; the public key stays published until tokens it signed expire. */
  retired_at: number | null;
  /** RS256 (signs access tokens and RS256 ID tokens) or ES256 (signs ES256 ID tokens only); migration 010. */
  alg: Generated<string>;
}

/** One row (id 1): bumped in the same transaction as every change to signing_keys. */
export interface SigningKeysGenerationTable {
  id: number;
  generation: number;
}

export interface MfaDevicesTable {
  user_id: string;
  device_name: string;
  /** AES-256-GCM ciphertext of the TOTP seed (see mfa/seed-crypto.ts); never the plain secret. */
  secret_ciphertext: string;
  algorithm: string;
  digits: number;
  period_seconds: number;
  activated_at: number | null;
  turned_on: number;
  /** Highest TOTP time step accepted so far; replay guard. */
  last_used_step: number | null;
  created_at: number;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface MfaLockoutsTable {
  user_id: string;
  failed_count: number;
  locked_until: number | null;
  /** Locks since the last success or admin unlock; the next one lasts twice as long (migration 004). */
  lockouts: Generated<number>;
  /** Failures in a row since the last success or admin unlock; at 100 only an admin unlock helps. */
  consecutive_failures: Generated<number>;
}

export interface AuditEventsTable {
  seq: Generated<number>;
  event_id: string;
  user_id: string;
  username: string;
  action: string;
  device_name: string | null;
  modified_by: string;
  event_date: number;
}

/** A passkey or security key (migration 008); binary values as base64url text, flags as 0/1. */
export interface WebauthnCredentialsTable {
  id: string;
  user_id: string;
  name: string;
  credential_id: string;
  public_key: string;
  sign_count: number;
  /** JSON array of AuthenticatorTransport hints. */
  transports: string;
  aaguid: string;
  backup_eligible: number;
  backed_up: number;
  user_verified: number;
  created_at: number;
  last_used_at: number | null;
}

/** A single-use WebAuthn challenge, stored as its SHA-256 so any copy of the service can finish it. */
export interface WebauthnChallengesTable {
  challenge_hash: string;
  user_id: string;
  purpose: string;
  name: string | null;
  expires_at: number;
}

/** An organization's MFA policy (migration 009). */
export interface OrgMfaPoliciesTable {
  org_id: string;
  policy: string;
  required_since: number | null;
  updated_at: number;
  updated_by: string;
}

/** What org admins did (migration 009): every call of the org admin API, with its actor. */
export interface OrgAuditEventsTable {
  seq: Generated<number>;
  org_id: string;
  actor: string;
  action: string;
  target_username: string | null;
  detail: string | null;
  event_date: number;
}

/** Applications that sign people in (migration 007); service accounts stay in service_accounts. */
export interface OidcClientsTable {
  client_id: string;
  name: string;
  secret_hash: string | null;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  created_at: number;
  /** RS256 or ES256: how this client's ID tokens are signed (migration 010). */
  id_token_signed_response_alg: Generated<string>;
}

export interface SignInSessionsTable {
  id_hash: string;
  user_id: string;
  auth_time: number;
  amr: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface AuthorizationCodesTable {
  code_hash: string;
  client_id: string;
  redirect_uri: string;
  user_id: string;
  code_challenge: string;
  nonce: string | null;
  scope: string;
  auth_time: number;
  amr: string;
  acr: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  family_id: string;
  code_hash: string;
  client_id: string;
  user_id: string;
  scope: string;
  auth_time: number;
  amr: string;
  acr: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

/** Finished sign-ins (migration 011): a sealed interaction cookie finishes a sign-in once. */
export interface SigninFinishedInteractionsTable {
  /** SHA-256 (hex) of the interaction id. */
  id_hash: string;
  /** The interaction's end, epoch ms; swept after it. */
  expires_at: number;
}

export interface Database {
  users: UsersTable;
  service_accounts: ServiceAccountsTable;
  api_tokens: ApiTokensTable;
  signing_keys: SigningKeysTable;
  signing_keys_generation: SigningKeysGenerationTable;
  mfa_devices: MfaDevicesTable;
  recovery_codes: RecoveryCodesTable;
  mfa_lockouts: MfaLockoutsTable;
  audit_events: AuditEventsTable;
  webauthn_credentials: WebauthnCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
  org_mfa_policies: OrgMfaPoliciesTable;
  org_audit_events: OrgAuditEventsTable;
  oidc_clients: OidcClientsTable;
  signin_sessions: SignInSessionsTable;
  authorization_codes: AuthorizationCodesTable;
  refresh_tokens: RefreshTokensTable;
  signin_finished_interactions: SigninFinishedInteractionsTable;
}
