// The MFA API's wire shapes, exactly CSP's: each schema validates, serialises and documents its shape, and its
// TypeScript type is derived from it (Static), so the feature code and the wire cannot drift apart.
import { type Static, Type } from 'typebox';

export const UserMfaStatusDto = Type.Object(
  {
    activated: Type.Boolean({ description: "If the user's MFA is activated" }),
    deviceName: Type.Optional(Type.String({ description: "The user's device name" })),
    turnedOn: Type.Boolean({ description: "If the user's MFA is turned on" }),
    username: Type.String({ description: 'The username of the user' }),
  },
  { $id: 'UserMfaStatusDto' },
);
export type UserMfaStatus = Static<typeof UserMfaStatusDto>;

export const RegisteredDeviceDto = Type.Object({
  deviceName: Type.String(),
  secret: Type.String({ description: 'Base32 TOTP secret, shown only now' }),
  otpauthUri: Type.String(),
  qrCode: Type.String({ description: 'data: URI of an SVG QR code of otpauthUri' }),
  algorithm: Type.String(),
  digits: Type.Integer(),
  period: Type.Integer(),
});
export type RegisteredDevice = Static<typeof RegisteredDeviceDto>;
