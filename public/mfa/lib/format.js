// Formatting for display: dates, yes/no, secrets in groups, audit action names, typed codes.

export const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
export const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** @param {boolean} value */
export function yesNo(value) {
  return value ? 'Yes' : 'No';
}

/** Groups a base32 secret in blocks of four for reading. @param {string} secret */
export function groupKey(secret) {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

/** Removes spaces and dashes people often type or paste into one-time codes. @param {string} value */
export function compactCode(value) {
  return value.replace(/[\s-]+/g, '');
}

const ACTION_LABELS = {
  MFA_ACTIVATION: 'Device activated',
  MFA_DEACTIVATION: 'Device removed',
  MFA_ENABLE: 'MFA turned on',
  MFA_DISABLE: 'MFA turned off',
  MFA_DEVICE_NAME_UPDATE: 'Device renamed',
  MFA_AUTHENTICATION_SUCCESS: 'Signed in with a passcode',
  MFA_AUTHENTICATION_FAILURE: 'Wrong passcode',
  MFA_RECOVERY_CODE_AUTHENTICATION_SUCCESS: 'Signed in with a recovery code',
  MFA_RECOVERY_CODE_AUTHENTICATION_FAILURE: 'Wrong recovery code',
  MFA_RECOVERY_CODES_GENERATION: 'Recovery codes generated',
  AUTHENTICATION_WITHOUT_MFA: 'Signed in without MFA',
  PASSWORD_VERIFICATION_FAILURE: 'Wrong password',
  MFA_UNLOCK: 'Unlocked by an administrator',
};

/** A readable name for an audit action; unknown actions are shown as they are. @param {string} action */
export function labelAction(action) {
  return Object.prototype.hasOwnProperty.call(ACTION_LABELS, action) ? ACTION_LABELS[/** @type {keyof typeof ACTION_LABELS} */ (action)] : action;
}
