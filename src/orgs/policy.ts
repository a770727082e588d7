// An organization's MFA policy: its shape (one TypeBox schema for the API, the CLI and the store), its
// default (nothing required), and the grace-period arithmetic.
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

/** The authenticator kinds a policy may allow: the TOTP device, and passkeys or security keys (`webauthn`). */
export const AUTHENTICATOR_TYPES = ['totp', 'webauthn'] as const;
export type AuthenticatorType = (typeof AUTHENTICATOR_TYPES)[number];

/** Where MFA can be required: CSP's authentication policy covers interactive sign-in and API-token exchange. */
export type PolicyScope = 'signIn' | 'apiTokenExchange';

export const MAX_GRACE_PERIOD_DAYS = 365;
export const MAX_EXEMPT_USERNAMES = 1000;

export const OrgMfaPolicySchema = Type.Object(
  {
    mfaRequired: Type.Object({ signIn: Type.Boolean(), apiTokenExchange: Type.Boolean() }, { additionalProperties: false }),
    gracePeriodDays: Type.Integer({ minimum: 0, maximum: MAX_GRACE_PERIOD_DAYS, description: 'Days to enrol once MFA is required' }),
    exemptUsernames: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
      maxItems: MAX_EXEMPT_USERNAMES,
      uniqueItems: true,
      description: 'Principals (by username) never blocked by this policy',
    }),
    allowedAuthenticators: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('webauthn')]), {
      minItems: 1,
      uniqueItems: true,
      description: 'Authenticators that satisfy the policy',
    }),
  },
  { $id: 'OrgMfaPolicy', title: 'OrgMfaPolicy', additionalProperties: false },
);

export type OrgMfaPolicy = Static<typeof OrgMfaPolicySchema>;

/** An organization that never set a policy requires nothing: the service behaves as before. */
export const DEFAULT_POLICY: OrgMfaPolicy = {
  mfaRequired: { signIn: false, apiTokenExchange: false },
  gracePeriodDays: 0,
  exemptUsernames: [],
  allowedAuthenticators: ['totp', 'webauthn'],
};

export const DAY_MS = 86_400_000;

export const requiresAnything = (policy: OrgMfaPolicy): boolean => policy.mfaRequired.signIn || policy.mfaRequired.apiTokenExchange;

/** The policy document of `value`, or the reasons it is not one (for the CLI and the store; HTTP validates by the schema). */
export function parsePolicy(value: unknown): { policy: OrgMfaPolicy } | { errors: string[] } {
  if (Value.Check(OrgMfaPolicySchema, value)) return { policy: value };
  const errors = [...Value.Errors(OrgMfaPolicySchema, value)].slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
  return { errors };
}

/** A stored policy with the moment MFA became required (null while nothing is). */
export interface StoredPolicy {
  policy: OrgMfaPolicy;
  requiredSince: number | null;
  updatedAt: number;
  updatedBy: string;
}

/**
 * When a principal must have enrolled: the grace period counts from the moment MFA became required or from the
 * principal's own start (its creation, or an admin reset after it), whichever is later: a newcomer gets the full period too.
 */
export function enrolmentDueAt(stored: Pick<StoredPolicy, 'policy' | 'requiredSince'>, principalGraceFrom: number): number | null {
  if (stored.requiredSince === null || !requiresAnything(stored.policy)) return null;
  return Math.max(stored.requiredSince, principalGraceFrom) + stored.policy.gracePeriodDays * DAY_MS;
}

/**
 * `requiredSince` after a change: it starts when a policy first requires MFA and is kept while the policy
 * goes on requiring it, so editing the exemptions or the grace period does not restart anyone's clock.
 */
export function nextRequiredSince(previous: StoredPolicy | undefined, next: OrgMfaPolicy, nowMs: number): number | null {
  if (!requiresAnything(next)) return null;
  return previous?.requiredSince ?? nowMs;
}
