// Enrolment: register a named device, show its key, activate it with a first code.
import { ApiError, callApi, MFA_URL } from '../lib/api.js';
import { announce, focusLater, inputById } from '../lib/dom.js';
import { compactCode } from '../lib/format.js';
import { clearMessages } from '../lib/run.js';
import { state, update } from '../lib/state.js';
import { requireValue } from '../lib/validation.js';
import { showRecoveryCodes } from './recovery.js';
import { backToDashboard, showView } from './status.js';

export function startEnrolment() {
  clearMessages();
  update({ enrolment: null });
  inputById('device-name').value = state.status?.deviceName ?? '';
  showView('enrol');
}

export async function registerDevice() {
  const deviceName = requireValue(inputById('device-name'), 'Enter a name for the device.');
  const device = await callApi('POST', `${MFA_URL}/device`, { json: { deviceName } });
  if (!device || typeof device.secret !== 'string') throw new ApiError('The server did not return a device secret.');

  /** @type {import('../lib/state.js').Enrolment} */
  const enrolment = {
    secret: device.secret.replace(/\s+/g, ''),
    name: typeof device.deviceName === 'string' ? device.deviceName : deviceName,
    // Only an image from the server and only an authenticator link: nothing else may reach src or href.
    qrCode: typeof device.qrCode === 'string' && device.qrCode.startsWith('data:image/') ? device.qrCode : undefined,
    algorithm: String(device.algorithm ?? 'SHA1'),
    digits: device.digits ?? 6,
    periodSeconds: device.period ?? 30,
    otpauthUri: typeof device.otpauthUri === 'string' && device.otpauthUri.startsWith('otpauth://') ? device.otpauthUri : undefined,
  };
  inputById('activate-code').value = '';
  update({ enrolment });
  focusLater('scan-heading');
  announce(`Device “${enrolment.name}” registered. Add it to your authenticator app, then enter a code.`);
}

export async function activateDevice() {
  const field = inputById('activate-code');
  const passcode = compactCode(requireValue(field, 'Enter the code from your authenticator app.'));
  const result = await callApi('POST', `${MFA_URL}/device/activate`, { json: { passcode } });
  field.value = '';
  update({ enrolment: null });
  showRecoveryCodes(result?.recoveryCodes);
  announce('Your device is activated and MFA is on. Save your recovery codes.');
}

export async function cancelEnrolment() {
  update({ enrolment: null });
  await backToDashboard();
}
