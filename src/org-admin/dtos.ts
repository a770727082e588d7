// Wire shapes of the organization admin API (this project's extension; CSP has no such paths).
import { type Static, Type } from 'typebox';

const EpochMsOrNull = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });

export const OrgPrincipalDto = Type.Object(
  {
    username: Type.String(),
    domain: Type.String(),
    role: Type.String({ description: 'org_owner, org_admin or org_member' }),
    activated: Type.Boolean(),
    turnedOn: Type.Boolean(),
    pending: Type.Boolean({ description: 'A TOTP device is registered but not activated yet, and no passkey' }),
    authenticatorCount: Type.Integer({ description: 'The activated TOTP device (0 or 1) plus every passkey or security key' }),
    authenticatorTypes: Type.Array(Type.String(), { description: 'totp and/or webauthn' }),
    recoveryCodesLeft: Type.Integer(),
    lockedUntil: EpochMsOrNull('Epoch ms until which MFA verification is locked; null when not locked'),
    lastMfaUse: EpochMsOrNull('Epoch ms of the last second factor: the start of the last accepted TOTP time step or the last passkey use, whichever is later'),
    enrolmentDueAt: EpochMsOrNull('Epoch ms by which the policy wants this principal enrolled; null when nothing is due'),
    exempt: Type.Boolean({ description: 'Listed in the policy exemptUsernames' }),
  },
  { $id: 'OrgPrincipal', title: 'OrgPrincipal', additionalProperties: false },
);
export type OrgPrincipalDto = Static<typeof OrgPrincipalDto>;

export const OrgPrincipalPage = Type.Object(
  {
    results: Type.Array(Type.Ref('OrgPrincipal')),
    nextPageStart: Type.Union([Type.String(), Type.Null()], { description: 'Pass as pageStart for the next page; null on the last page' }),
  },
  { additionalProperties: false },
);

export const OrgPrincipalDetail = Type.Object(
  {
    principal: Type.Ref('OrgPrincipal'),
    auditEvents: Type.Array(
      Type.Object(
        { action: Type.String(), deviceName: Type.Union([Type.String(), Type.Null()]), modifiedBy: Type.String(), eventDate: Type.Integer() },
        { additionalProperties: false },
      ),
      { description: 'The last 20 MFA audit events, newest first' },
    ),
  },
  { additionalProperties: false },
);

export const OrgTotalsDto = Type.Object(
  {
    principals: Type.Integer(),
    on: Type.Integer({ description: 'MFA on: the TOTP device activated and turned on, or passkeys only' }),
    pending: Type.Integer({ description: 'A TOTP device registered, not activated, and no passkey' }),
    off: Type.Integer({ description: 'No authenticator, or the TOTP device activated and turned off' }),
    locked: Type.Integer(),
    coverageRatio: Type.Number({ description: 'on / principals (1 for an empty organization)' }),
  },
  { additionalProperties: false },
);
export type OrgTotalsDto = Static<typeof OrgTotalsDto>;

export const StoredPolicyDto = Type.Object(
  {
    policy: Type.Ref('OrgMfaPolicy'),
    requiredSince: EpochMsOrNull('When MFA became required (the grace period counts from here)'),
    updatedAt: EpochMsOrNull('When the policy was last changed; null: never set (the default)'),
    updatedBy: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
