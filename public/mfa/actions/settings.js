// The dashboard's forms: turn MFA on or off, rename the device, new recovery codes, remove the device.
import { callApi, MFA_URL } from '../lib/api.js';
import { announce, byId, focusLater, inputById } from '../lib/dom.js';
import { compactCode } from '../lib/format.js';
import { clearMessages } from '../lib/run.js';
import { state, update } from '../lib/state.js';
import { requireValue, ValidationError } from '../lib/validation.js';
import { showRecoveryCodes } from './recovery.js';
import { loadStatus } from './status.js';

export async function toggleMfa() {
  const password = requireValue(inputById('toggle-password'), 'Enter your account password.');
  const turnOn = !state.status?.turnedOn;
  const result = await callApi('PATCH', MFA_URL, { json: { password, turnedOn: turnOn } });
  inputById('toggle-password').value = '';
  await loadStatus();
  const isOn = result && typeof result.turnedOn === 'boolean' ? result.turnedOn : turnOn;
  finishChange(isOn ? 'MFA is now turned on.' : 'MFA is now turned off.');
}

export async function renameDevice() {
  const deviceName = requireValue(inputById('rename-name'), 'Enter a new name for the device.');
  const status = await callApi('PATCH', `${MFA_URL}/device`, { json: { deviceName } });
  inputById('rename-name').value = '';
  if (status && typeof status === 'object' && 'activated' in status) update({ status, removeConfirmOpen: false });
  else await loadStatus();
  finishChange(`The device is now called “${deviceName}”.`);
}

export async function removeDevice() {
  const passwordField = inputById('remove-password');
  const passcodeField = inputById('remove-passcode');
  const password = passwordField.value;
  const passcode = compactCode(passcodeField.value);
  if (!password && !passcode) {
    throw new ValidationError('Enter your password or a passcode to remove the device.', passwordField);
  }
  await callApi('DELETE', `${MFA_URL}/device`, { json: password ? { password } : { passcode } });
  passwordField.value = '';
  passcodeField.value = '';
  await loadStatus();
  finishChange('The authenticator device was removed and MFA is off.');
}

export async function regenerateCodes() {
  const field = inputById('regen-passcode');
  const passcode = compactCode(requireValue(field, 'Enter the current passcode from your authenticator app.'));
  const result = await callApi('POST', `${MFA_URL}/recovery-codes`, { json: { passcode } });
  field.value = '';
  showRecoveryCodes(result?.recoveryCodes);
  announce('New recovery codes generated. Your old codes no longer work.');
}

export function openRemoveConfirm() {
  clearMessages();
  update({ removeConfirmOpen: true });
  inputById('remove-password').focus();
}

export function closeRemoveConfirm() {
  update({ removeConfirmOpen: false });
  byId('remove-start').focus();
}

/** A change is done: say so at the top, where focus goes back to. @param {string} notice */
function finishChange(notice) {
  update({ notice });
  focusLater('dashboard-heading');
}
