// HTTP routes of the MFA device lifecycle and recovery codes (…/principal/mfa/device, …/mfa, …/mfa/recovery-codes).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { requireUser, TOKEN_SECURITY } from '../http/authenticate.js';
import { AUTHENTICATED_ERRORS, withErrors } from '../http/schemas.js';
import type { Services } from '../services.js';
import { activateDevice, type MfaDeps, registerDevice, regenerateRecoveryCodes, removeDevice, renameDevice, setMfaTurnedOn } from './devices.js';

const BASE = '/csp/gateway/iam/vmwid/api/principal/mfa';
const TAGS = ['Principal MFA'];
const SECURITY = TOKEN_SECURITY;
const ERRORS = [...AUTHENTICATED_ERRORS, 409];

// Bounded so a huge string is a schema 400, not work; the exact rules live in the feature code.
const DeviceName = Type.String({ maxLength: 256, description: '1 to 64 printable characters, trimmed' });
const Passcode = Type.String({ maxLength: 64, description: 'Six digits from the authenticator, or a recovery code' });
const RecoveryCodes = Type.Array(Type.String(), { description: 'Ten single-use recovery codes, shown only now' });

const RegisteredDeviceDto = Type.Object({
  deviceName: Type.String(),
  secret: Type.String({ description: 'Base32 TOTP secret, shown only now' }),
  otpauthUri: Type.String(),
  qrCode: Type.String({ description: 'data: URI of an SVG QR code of otpauthUri' }),
  algorithm: Type.String(),
  digits: Type.Integer(),
  period: Type.Integer(),
});

export function mfaDeps(services: Services): MfaDeps {
  const { store, clock, masterKey, config, metrics } = services;
  return { store, clock, masterKey, metrics, lockout: { threshold: config.lockoutThreshold, lockoutSeconds: config.lockoutSeconds }, passcodeGuard: (key) => services.limits.passcodeGuard(key) };
}

export function deviceRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    const preHandler = requireUser(services);
    const deps = mfaDeps(services);

    app.post(
      `${BASE}/device`,
      {
        preHandler,
        schema: {
          summary: 'Register a TOTP device (pending until activated)',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ deviceName: DeviceName }),
          response: withErrors({ 201: RegisteredDeviceDto }, ERRORS),
        },
      },
      async (request, reply) => {
        const { deviceName } = request.body as { deviceName: string };
        reply.code(201);
        return registerDevice(deps, request.user!, deviceName);
      },
    );

    app.post(
      `${BASE}/device/activate`,
      {
        preHandler,
        schema: {
          summary: 'Activate the pending device with its first passcode; turns MFA on',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ passcode: Passcode }),
          response: withErrors({ 200: Type.Object({ activated: Type.Boolean(), turnedOn: Type.Boolean(), recoveryCodes: RecoveryCodes }) }, ERRORS),
        },
      },
      async (request) => activateDevice(deps, request.user!, (request.body as { passcode: string }).passcode),
    );

    app.patch(
      `${BASE}/device`,
      {
        preHandler,
        schema: {
          summary: 'Rename the MFA device',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ deviceName: DeviceName }),
          response: withErrors({ 200: Type.Ref('UserMfaStatusDto') }, ERRORS),
        },
      },
      async (request) => renameDevice(deps, request.user!, (request.body as { deviceName: string }).deviceName),
    );

    app.delete(
      `${BASE}/device`,
      {
        preHandler,
        schema: {
          summary: 'Remove the MFA device and its recovery codes (password or passcode confirms)',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ password: Type.Optional(Type.String({ maxLength: 1024 })), passcode: Type.Optional(Passcode) }),
          response: withErrors({ 204: Type.Null({ description: 'Removed' }) }, ERRORS),
        },
      },
      async (request, reply) => {
        await removeDevice(deps, request.user!, request.body as { password?: string; passcode?: string });
        return reply.code(204).send();
      },
    );

    app.patch(
      BASE,
      {
        preHandler,
        schema: {
          summary: 'Update principal MFA: turn it on or off (password confirms)',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ password: Type.Optional(Type.String({ maxLength: 1024 })), turnedOn: Type.Boolean() }, { title: 'UpdateMfaRequest' }),
          response: withErrors({ 200: Type.Object({ turnedOn: Type.Boolean() }, { title: 'UpdateMfaResponse' }) }, ERRORS),
        },
      },
      async (request) => {
        const { password, turnedOn } = request.body as { password?: string; turnedOn: boolean };
        return setMfaTurnedOn(deps, request.user!, password, turnedOn);
      },
    );

    app.post(
      `${BASE}/recovery-codes`,
      {
        preHandler,
        schema: {
          summary: 'Generate a new set of recovery codes; the previous set stops working',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ passcode: Passcode }),
          response: withErrors({ 200: Type.Object({ recoveryCodes: RecoveryCodes }) }, ERRORS),
        },
      },
      async (request) => regenerateRecoveryCodes(deps, request.user!, (request.body as { passcode: string }).passcode),
    );
  };
}
