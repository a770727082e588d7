// Wire shapes of the authenticators API (ours, beside CSP's MFA API): each schema is the validator, the
// serialiser, the OpenAPI document and (Static) the TypeScript type.
import { type Static, type TProperties, Type } from 'typebox';

export const TOTP_AUTHENTICATOR_ID = 'totp';

export const AuthenticatorDto = Type.Object(
  {
    id: Type.String({ description: `"${TOTP_AUTHENTICATOR_ID}" for the TOTP device; a UUID for a passkey or security key` }),
    type: Type.Union([Type.Literal('totp'), Type.Literal('webauthn')]),
    name: Type.String(),
    createdAt: Type.Integer({ format: 'int64', description: 'Epoch milliseconds' }),
    lastUsedAt: Type.Union([Type.Integer({ format: 'int64' }), Type.Null()], {
      description: 'Epoch milliseconds of the last accepted use (TOTP: the start of the last accepted time step); null when never used',
    }),
    backedUp: Type.Optional(Type.Boolean({ description: 'WebAuthn only: the passkey is synced (backed up) to other devices' })),
  },
  { title: 'Authenticator' },
);
export type Authenticator = Static<typeof AuthenticatorDto>;

export const RegisteredAuthenticatorDto = Type.Object(
  {
    ...AuthenticatorDto.properties,
    recoveryCodes: Type.Optional(
      Type.Array(Type.String(), { description: 'Only for the first authenticator of any kind: ten single-use recovery codes, shown only now' }),
    ),
  },
  { title: 'RegisteredAuthenticator' },
);

export const AuthenticatorListDto = Type.Object({ authenticators: Type.Array(AuthenticatorDto) }, { title: 'AuthenticatorList' });

// Bounded so a huge body is a schema 400 before any work; the feature code checks the details (and audits).
const B64 = (maxLength: number) => Type.String({ maxLength });
const BIG = 65_536;

/** The members of every PublicKeyCredential's toJSON() (WebAuthn Level 3 §5.1.10) around its `response`. */
const credentialJson = <R extends TProperties>(title: string, response: R) =>
  Type.Object(
    {
      id: B64(2048),
      rawId: B64(2048),
      type: Type.String({ maxLength: 32 }),
      response: Type.Object(response),
      clientExtensionResults: Type.Optional(Type.Object({})),
      authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
    },
    { title },
  );

/** RegistrationResponseJSON; extra members are kept for the verifier. */
export const RegistrationResponseBody = credentialJson('RegistrationResponseJSON', {
  clientDataJSON: B64(BIG),
  attestationObject: B64(BIG),
  transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 16 })),
});

/** AuthenticationResponseJSON. */
export const AuthenticationResponseBody = credentialJson('AuthenticationResponseJSON', {
  clientDataJSON: B64(BIG),
  authenticatorData: B64(BIG),
  signature: B64(4096),
  userHandle: Type.Optional(B64(512)),
});

/** PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON as the library makes them; documented, not re-validated. */
export const CreationOptionsDto = Type.Object(
  {
    challenge: Type.String(),
    rp: Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) }),
    user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
    pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: Type.String() })),
    timeout: Type.Optional(Type.Integer()),
    excludeCredentials: Type.Optional(
      Type.Array(Type.Object({ id: Type.String(), type: Type.String(), transports: Type.Optional(Type.Array(Type.String())) })),
    ),
    authenticatorSelection: Type.Optional(
      Type.Object({
        authenticatorAttachment: Type.Optional(Type.String()),
        residentKey: Type.Optional(Type.String()),
        requireResidentKey: Type.Optional(Type.Boolean()),
        userVerification: Type.Optional(Type.String()),
      }),
    ),
    hints: Type.Optional(Type.Array(Type.String())),
    attestation: Type.Optional(Type.String()),
    extensions: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { title: 'PublicKeyCredentialCreationOptionsJSON' },
);

export const RequestOptionsDto = Type.Object(
  {
    challenge: Type.String(),
    timeout: Type.Optional(Type.Integer()),
    rpId: Type.Optional(Type.String()),
    allowCredentials: Type.Optional(Type.Array(Type.Object({ id: Type.String(), type: Type.String(), transports: Type.Optional(Type.Array(Type.String())) }))),
    userVerification: Type.Optional(Type.String()),
    hints: Type.Optional(Type.Array(Type.String())),
    extensions: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { title: 'PublicKeyCredentialRequestOptionsJSON' },
);
