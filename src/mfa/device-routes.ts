// HTTP routes of the MFA device lifecycle and recovery codes (…/principal/mfa/device, …/mfa, …/mfa/recovery-codes).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { TOKEN_SECURITY } from '../auth/access-token-header.js';
import { claimsOf, principalOf } from '../auth/request-principal.js';
import { AUTHENTICATED_ERRORS, noContent, refTo, withErrors } from '../http/schemas.js';
import { assertMayDropMfa } from '../orgs/policy-check.js';
import { MFA_BASE as BASE } from '../paths.js';
import type { Services } from '../services.js';
import { regenerateRecoveryCodes, removeDevice, setMfaTurnedOn } from './confirmed-operations.js';
import { activateDevice, type MfaDeps, registerDevice, renameDevice } from './devices.js';
import { RegisteredDeviceDto, UserMfaStatusDto } from './dtos.js';
import { tokenAuthentication } from './step-up.js';

const TAGS = ['Principal MFA'];
const SECURITY = TOKEN_SECURITY;
const ERRORS = [...AUTHENTICATED_ERRORS, 409] as const;

// Bounded so a huge string is a schema 400, not work; the exact rules live in the feature code.
const DeviceName = Type.String({ maxLength: 256, description: '1 to 64 printable characters, trimmed' });
const Passcode = Type.String({ maxLength: 64, description: 'Six digits from the authenticator, or a recovery code' });
const STEP_UP_NOTE =
  'Step-up (RFC 9470): a recent second factor is a current `passcode` in the body, or an access token with `amr` and an `auth_time` at most --step-up-max-age seconds old; without one, 401 insufficient_user_authentication with a WWW-Authenticate challenge.';
const RecoveryCodes = Type.Array(Type.String(), { description: 'Ten single-use recovery codes, shown only now' });

export function mfaDeps(services: Services): MfaDeps {
  const { store, clock, masterKey, config, events } = services;
  return {
    store,
    clock,
    masterKey,
    events,
    lockout: { threshold: config.lockoutThreshold, lockoutSeconds: config.lockoutSeconds },
    passcodeGuard: (key) => services.limits.passcodeGuard(key),
    stepUpMaxAgeSeconds: config.stepUpMaxAgeSeconds,
  };
}

export function deviceRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    const deps = mfaDeps(services);
    const tokenOf = (request: FastifyRequest) => tokenAuthentication(claimsOf(request), services.config.issuer);

    app.post(
      `${BASE}/device`,
      {
        schema: {
          summary: 'Register a TOTP device (pending until activated)',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ deviceName: DeviceName }),
          response: withErrors({ 201: RegisteredDeviceDto }, ERRORS),
        },
      },
      async (request, reply) => {
        reply.code(201);
        return registerDevice(deps, principalOf(request), request.body.deviceName);
      },
    );

    app.post(
      `${BASE}/device/activate`,
      {
        schema: {
          summary: 'Activate the pending device with its first passcode; turns MFA on',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ passcode: Passcode }),
          response: withErrors({ 200: Type.Object({ activated: Type.Boolean(), turnedOn: Type.Boolean(), recoveryCodes: RecoveryCodes }) }, ERRORS),
        },
      },
      async (request) => activateDevice(deps, principalOf(request), request.body.passcode),
    );

    app.patch(
      `${BASE}/device`,
      {
        schema: {
          summary: 'Rename the MFA device',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ deviceName: DeviceName }),
          response: withErrors({ 200: refTo(UserMfaStatusDto) }, ERRORS),
        },
      },
      async (request) => renameDevice(deps, principalOf(request), request.body.deviceName),
    );

    app.delete(
      `${BASE}/device`,
      {
        schema: {
          summary: 'Remove the MFA device and its recovery codes',
          description: STEP_UP_NOTE + ' Confirmed by a passcode or recovery code alone, or by the password and a step-up token.',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ password: Type.Optional(Type.String({ maxLength: 1024 })), passcode: Type.Optional(Passcode) }),
          response: withErrors({ 204: noContent('Removed') }, ERRORS),
        },
      },
      async (request, reply) => {
        await assertMayDropMfa(services.store, principalOf(request), 'remove_totp');
        await removeDevice(deps, principalOf(request), { ...request.body, token: tokenOf(request) });
        return reply.code(204).send();
      },
    );

    app.patch(
      BASE,
      {
        schema: {
          summary: 'Update principal MFA: turn it on or off (password confirms)',
          description: `${STEP_UP_NOTE} Turning MFA off needs one; a principal without a password confirms with one instead. The switch is the activated TOTP device's: with passkeys only, \`turnedOn: true\` is confirmed and changes nothing, \`turnedOn: false\` is 409 \`mfa_on_by_passkeys\` (remove the passkeys to turn MFA off).`,
          tags: TAGS,
          security: SECURITY,
          body: Type.Object(
            { password: Type.Optional(Type.String({ maxLength: 1024 })), turnedOn: Type.Boolean(), passcode: Type.Optional(Passcode) },
            { title: 'UpdateMfaRequest' },
          ),
          response: withErrors({ 200: Type.Object({ turnedOn: Type.Boolean() }, { title: 'UpdateMfaResponse' }) }, ERRORS),
        },
      },
      async (request) => {
        const { password, passcode, turnedOn } = request.body;
        if (!turnedOn) await assertMayDropMfa(services.store, principalOf(request), 'turn_off');
        return setMfaTurnedOn(deps, principalOf(request), { password, passcode, token: tokenOf(request) }, turnedOn);
      },
    );

    app.post(
      `${BASE}/recovery-codes`,
      {
        schema: {
          summary: 'Generate a new set of recovery codes; the previous set stops working',
          description: 'Needs the MFA device: a current passcode (not a recovery code), or a step-up token whose `amr` is `otp`.',
          tags: TAGS,
          security: SECURITY,
          body: Type.Object({ passcode: Type.Optional(Passcode) }),
          response: withErrors({ 200: Type.Object({ recoveryCodes: RecoveryCodes }) }, ERRORS),
        },
      },
      async (request) => regenerateRecoveryCodes(deps, principalOf(request), { passcode: request.body.passcode, token: tokenOf(request) }),
    );
  };
}
