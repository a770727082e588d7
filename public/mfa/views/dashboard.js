// The settings view: status, which device panels apply, the on/off wording and the remove confirmation.
import { byId, setText } from '../lib/dom.js';
import { yesNo } from '../lib/format.js';

/** @type {import('../lib/state.js').State['status']} */
let shownStatus = null;

/** @param {import('../lib/state.js').State} state */
export function render(state) {
  renderRemoveConfirm(state.removeConfirmOpen);
  if (!state.status || state.status === shownStatus) return;
  shownStatus = state.status;
  const status = state.status;
  const deviceName = typeof status.deviceName === 'string' && status.deviceName ? status.deviceName : '';
  const activated = status.activated === true;
  const turnedOn = status.turnedOn === true;

  setText(byId('status-username'), status.username ?? '');
  setText(byId('status-device'), deviceName || 'None');
  setText(byId('status-activated'), yesNo(activated));
  setText(byId('status-turned-on'), yesNo(turnedOn));

  const summary = byId('status-summary');
  summary.classList.toggle('is-on', turnedOn);
  // With passkeys the status is activated without a TOTP device: the device panels follow the device itself.
  const list = Array.isArray(state.authenticators) ? state.authenticators : null;
  const deviceActive = activated && (!list || list.some((a) => a.type === 'totp'));
  const passkeysOnly = activated && !deviceActive && !!list && list.some((a) => a.type === 'webauthn');
  setText(summary, describeStatus(deviceName, activated, turnedOn, passkeysOnly));

  const devicePending = Boolean(deviceName) && !activated;
  byId('panel-no-device').hidden = deviceActive || devicePending;
  byId('panel-pending-device').hidden = !devicePending;
  setText(byId('pending-device-name'), deviceName);
  byId('panel-active-device').hidden = !deviceActive;
  byId('panel-remove-device').hidden = !deviceActive && !devicePending;

  setText(
    byId('toggle-text'),
    turnedOn
      ? 'MFA is on. Turning it off means signing in needs only your API token. Your device stays registered.'
      : 'MFA is off. Turn it on to require a passcode from your device when you sign in.',
  );
  setText(byId('toggle-submit'), turnedOn ? 'Turn MFA off' : 'Turn MFA on');
}

/** @param {string} deviceName @param {boolean} activated @param {boolean} turnedOn @param {boolean} passkeysOnly */
function describeStatus(deviceName, activated, turnedOn, passkeysOnly) {
  if (passkeysOnly) return 'MFA is on: signing in also needs one of your passkeys (or a recovery code).';
  if (turnedOn) return 'MFA is on: signing in with an API token also needs a passcode from your device.';
  if (activated) return 'MFA is off: your device is set up, but signing in does not ask for a passcode.';
  if (deviceName) return 'MFA is off: device setup was not finished.';
  return 'MFA is off: no authenticator device is registered.';
}

/** Closing the confirmation forgets what was typed into it. @param {boolean} open */
function renderRemoveConfirm(open) {
  const form = /** @type {HTMLFormElement} */ (byId('remove-form'));
  if (!open && !form.hidden) form.reset();
  form.hidden = !open;
  byId('remove-start-actions').hidden = open;
}
