// Principal MFA self-service page. Plain ES module, no dependencies.
// Tokens live only in this module's memory: never in storage, cookies or the URL.

const AUTHORIZE_URL = '/csp/gateway/am/api/auth/api-tokens/authorize';
const MFA = '/csp/gateway/iam/vmwid/api/principal/mfa';
const AUDIT_PAGE_LIMIT = 20;
/**
 * How the audit API's 1-based pageStart is read: true = index of the first result
 * (1, 21, 41, … — the CSP documentation's "index that the set of results will begin with"),
 * false = page number (1, 2, 3, …).
 */
const AUDIT_PAGE_START_IS_INDEX = true;
const DAY_MS = 24 * 60 * 60 * 1000;

/** In-memory session: the access token obtained from the API token exchange. */
const session = {
  /** @type {string | null} */ accessToken: null,
  /** @type {number | null} */ expiresAt: null,
};

/** Page state. */
const state = {
  /** @type {null | {activated: boolean, deviceName?: string, turnedOn: boolean, username: string}} */
  status: null,
  /** Recovery codes currently on screen; dropped when the person confirms they saved them. */
  /** @type {string[] | null} */ recoveryCodes: null,
  /** Secret of the device being enrolled; dropped when enrolment ends. */
  /** @type {string | null} */ enrolSecret: null,
  audit: { pageStart: 1, days: 30, startDate: 0, endDate: 0 },
};

// ---------------------------------------------------------------------------
// DOM helpers

/** @param {string} id @returns {HTMLElement} */
function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`Missing element #${id}`);
  return el;
}

/** @param {string} id @returns {HTMLInputElement} */
function input(id) {
  return /** @type {HTMLInputElement} */ ($(id));
}

/** @param {string} id @returns {HTMLFormElement} */
function form(id) {
  return /** @type {HTMLFormElement} */ ($(id));
}

/**
 * Creates an element with text content and optional class.
 * @param {string} tag @param {string} [text] @param {string} [className]
 */
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const VIEWS = ['signin', 'dashboard', 'enrol', 'recovery', 'audit'];

/**
 * Shows one view, hides the others and moves focus to the given heading
 * (by default the view's own heading).
 * @param {string} name @param {string | null} [focusId] null: leave focus alone
 */
function showView(name, focusId) {
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
  $('session-bar').hidden = name === 'signin' || !session.accessToken;
  if (focusId !== null) focusHeading(focusId ?? `${name}-heading`);
}

/** @param {string} id */
function focusHeading(id) {
  const heading = $(id);
  // Wait a frame so the element is rendered before focusing it.
  requestAnimationFrame(() => heading.focus());
}

/** Announces a message to screen readers without showing it. @param {string} message */
function announce(message) {
  const live = $('live');
  live.textContent = '';
  // A short delay makes repeated identical messages announce again.
  setTimeout(() => {
    live.textContent = message;
  }, 50);
}

/** Shows a visible success message (also announced via role="status"). @param {string} message */
function showNotice(message) {
  $('notice').textContent = message;
}

function clearMessages() {
  $('error').replaceChildren();
  $('notice').replaceChildren();
  for (const field of document.querySelectorAll('[aria-invalid="true"]')) field.removeAttribute('aria-invalid');
}

/**
 * Shows an error in the alert region: exactly the server's message, plus the request id.
 * @param {unknown} error
 */
function showError(error) {
  const region = $('error');
  const nodes = [];
  if (error instanceof ApiError) {
    nodes.push(el('p', error.message, 'error-message'));
    if (error.requestId) nodes.push(el('p', `Request ID: ${error.requestId}`, 'request-id'));
    if (error.status === 401 && error.authenticated) {
      nodes.push(el('p', 'Your session is no longer valid. Sign in again to continue.', 'error-hint'));
      const actions = el('div', undefined, 'actions');
      const button = el('button', 'Go to sign-in page', 'button button-secondary button-small');
      button.setAttribute('type', 'button');
      button.id = 'error-signin';
      button.addEventListener('click', () => {
        forgetSession();
        clearMessages();
        showView('signin');
      });
      actions.append(button);
      nodes.push(actions);
    }
  } else if (error instanceof ValidationError) {
    nodes.push(el('p', error.message, 'error-message'));
    if (error.field) {
      error.field.setAttribute('aria-invalid', 'true');
      error.field.focus();
    }
  } else {
    console.error(error);
    nodes.push(el('p', 'Something went wrong in this page. Reload it and try again.', 'error-message'));
  }
  const message = nodes[0];
  if (message) message.id = 'error-message';
  region.replaceChildren(...nodes);
}

// ---------------------------------------------------------------------------
// API

class ApiError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number, requestId?: string, errorCode?: string, authenticated?: boolean}} [info]
   */
  constructor(message, info = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = info.status ?? 0;
    this.requestId = info.requestId ?? '';
    this.errorCode = info.errorCode ?? '';
    this.authenticated = info.authenticated ?? false;
  }
}

class ValidationError extends Error {
  /** @param {string} message @param {HTMLElement} [field] */
  constructor(message, field) {
    super(message);
    this.name = 'ValidationError';
    this.field = field;
  }
}

/**
 * Calls the API. Non-2xx answers become an ApiError carrying the server's message.
 * @param {string} method
 * @param {string} path
 * @param {{json?: unknown, form?: Record<string, string>, auth?: boolean}} [options]
 * @returns {Promise<any>}
 */
async function api(method, path, options = {}) {
  const auth = options.auth ?? true;
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  /** @type {string | undefined} */
  let body;
  if (options.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (auth) {
    if (!session.accessToken) {
      throw new ApiError('You are signed out.', { status: 401, authenticated: true });
    }
    headers['csp-auth-token'] = session.accessToken;
  }

  /** @type {Response} */
  let response;
  let text;
  try {
    response = await fetch(path, {
      method,
      headers,
      body,
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
    });
    text = await response.text();
  } catch {
    throw new ApiError('Could not reach the server. Check your network connection and try again.');
  }

  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (!response.ok) {
    const requestId =
      (data && typeof data.requestId === 'string' && data.requestId) || response.headers.get('x-request-id') || '';
    let message;
    if (data && typeof data.message === 'string' && data.message) message = data.message;
    else if (data && typeof data.error_description === 'string' && data.error_description) message = data.error_description;
    else message = `The server answered with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`;
    throw new ApiError(message, {
      status: response.status,
      requestId,
      errorCode: data && typeof data.errorCode === 'string' ? data.errorCode : '',
      authenticated: auth,
    });
  }
  if (response.status === 204 || !text) return null;
  if (data === null) throw new ApiError('The server sent a response this page could not read.');
  return data;
}

// ---------------------------------------------------------------------------
// Busy state: a form (or button) runs one request at a time.

/**
 * Runs an action for a form or button: clears old messages, marks it busy, shows errors.
 * @param {HTMLElement} owner form or button
 * @param {() => Promise<void>} action
 */
async function run(owner, action) {
  if (owner.getAttribute('aria-busy') === 'true') return;
  clearMessages();
  const buttons = owner instanceof HTMLFormElement ? [...owner.querySelectorAll('button')] : [owner];
  owner.setAttribute('aria-busy', 'true');
  for (const b of buttons) b.setAttribute('aria-disabled', 'true');
  try {
    await action();
  } catch (error) {
    showError(error);
  } finally {
    owner.removeAttribute('aria-busy');
    for (const b of buttons) b.removeAttribute('aria-disabled');
  }
}

/** @param {HTMLInputElement} field @param {string} message */
function required(field, message) {
  const value = field.value.trim();
  if (!value) throw new ValidationError(message, field);
  return value;
}

/** Removes spaces people often type or paste into one-time codes. @param {string} value */
function compactCode(value) {
  return value.replace(/[\s-]+/g, '');
}

// ---------------------------------------------------------------------------
// Formatting

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** @param {boolean} value */
function yesNo(value) {
  return value ? 'Yes' : 'No';
}

/** Groups a base32 secret in blocks of four for reading. @param {string} secret */
function groupKey(secret) {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
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

/** @param {string} action */
function actionLabel(action) {
  return Object.prototype.hasOwnProperty.call(ACTION_LABELS, action)
    ? ACTION_LABELS[/** @type {keyof typeof ACTION_LABELS} */ (action)]
    : action;
}

// ---------------------------------------------------------------------------
// Session

function forgetSession() {
  session.accessToken = null;
  session.expiresAt = null;
  state.status = null;
  state.recoveryCodes = null;
  clearEnrolment();
  $('recovery-codes').replaceChildren();
  $('audit-rows').replaceChildren();
  $('audit-summary').textContent = '';
  for (const f of document.querySelectorAll('form')) /** @type {HTMLFormElement} */ (f).reset();
  $('session-user').textContent = '';
  $('session-expiry').textContent = '';
  $('session-bar').hidden = true;
}

async function signIn() {
  const tokenField = input('api-token');
  const passcodeField = input('signin-passcode');
  const apiToken = tokenField.value.trim();
  const passcode = compactCode(passcodeField.value);
  // Clear the secrets from the page straight away, whatever happens next.
  tokenField.value = '';
  passcodeField.value = '';
  if (!apiToken) throw new ValidationError('Paste an API token to sign in.', tokenField);

  /** @type {Record<string, string>} */
  const fields = { api_token: apiToken };
  if (passcode) fields.passcode = passcode;
  const grant = await api('POST', AUTHORIZE_URL, { form: fields, auth: false });
  if (!grant || typeof grant.access_token !== 'string' || !grant.access_token) {
    throw new ApiError('The server did not return an access token.');
  }
  session.accessToken = grant.access_token;
  session.expiresAt = typeof grant.expires_in === 'number' ? Date.now() + grant.expires_in * 1000 : null;

  try {
    await loadStatus();
  } catch (error) {
    forgetSession();
    // We are on the sign-in page already: no "go to sign-in" offer needed.
    if (error instanceof ApiError) error.authenticated = false;
    throw error;
  }
  const username = state.status?.username ?? '';
  $('session-user').textContent = username ? `Signed in as ${username}` : 'Signed in';
  $('session-expiry').textContent = session.expiresAt ? `Session ends at ${timeOnly.format(session.expiresAt)}` : '';
  showView('dashboard');
  announce(username ? `Signed in as ${username}.` : 'Signed in.');
}

function signOut() {
  forgetSession();
  clearMessages();
  showView('signin');
  showNotice('You are signed out.');
}

// ---------------------------------------------------------------------------
// Status / dashboard

async function loadStatus() {
  const status = await api('GET', `${MFA}/status`);
  renderStatus(status);
}

/** @param {any} status */
function renderStatus(status) {
  state.status = status;
  const deviceName = typeof status.deviceName === 'string' && status.deviceName ? status.deviceName : '';
  const activated = status.activated === true;
  const turnedOn = status.turnedOn === true;

  $('status-username').textContent = status.username ?? '';
  $('status-device').textContent = deviceName || 'None';
  $('status-activated').textContent = yesNo(activated);
  $('status-turned-on').textContent = yesNo(turnedOn);

  const summary = $('status-summary');
  summary.classList.toggle('is-on', turnedOn);
  if (turnedOn) summary.textContent = 'MFA is on: signing in with an API token also needs a passcode from your device.';
  else if (activated) summary.textContent = 'MFA is off: your device is set up, but signing in does not ask for a passcode.';
  else if (deviceName) summary.textContent = 'MFA is off: device setup was not finished.';
  else summary.textContent = 'MFA is off: no authenticator device is registered.';

  $('panel-no-device').hidden = Boolean(deviceName) || activated;
  $('panel-pending-device').hidden = !deviceName || activated;
  $('pending-device-name').textContent = deviceName;
  $('panel-active-device').hidden = !activated;
  $('panel-remove-device').hidden = !deviceName && !activated;

  $('toggle-text').textContent = turnedOn
    ? 'MFA is on. Turning it off means signing in needs only your API token. Your device stays registered.'
    : 'MFA is off. Turn it on to require a passcode from your device when you sign in.';
  $('toggle-submit').textContent = turnedOn ? 'Turn MFA off' : 'Turn MFA on';
  closeRemoveConfirm(false);
}

function openRemoveConfirm() {
  $('remove-start-actions').hidden = true;
  form('remove-form').hidden = false;
  input('remove-password').focus();
}

/** @param {boolean} moveFocus */
function closeRemoveConfirm(moveFocus) {
  const removeForm = form('remove-form');
  removeForm.reset();
  removeForm.hidden = true;
  $('remove-start-actions').hidden = false;
  if (moveFocus) $('remove-start').focus();
}

async function toggleMfa() {
  const password = required(input('toggle-password'), 'Enter your account password.');
  const turnOn = !state.status?.turnedOn;
  const result = await api('PATCH', MFA, { json: { password, turnedOn: turnOn } });
  input('toggle-password').value = '';
  await loadStatus();
  const isOn = result && typeof result.turnedOn === 'boolean' ? result.turnedOn : turnOn;
  showNotice(isOn ? 'MFA is now turned on.' : 'MFA is now turned off.');
  focusHeading('dashboard-heading');
}

async function renameDevice() {
  const deviceName = required(input('rename-name'), 'Enter a new name for the device.');
  const status = await api('PATCH', `${MFA}/device`, { json: { deviceName } });
  input('rename-name').value = '';
  if (status && typeof status === 'object' && 'activated' in status) renderStatus(status);
  else await loadStatus();
  showNotice(`The device is now called “${deviceName}”.`);
  focusHeading('dashboard-heading');
}

async function removeDevice() {
  const passwordField = input('remove-password');
  const passcodeField = input('remove-passcode');
  const password = passwordField.value;
  const passcode = compactCode(passcodeField.value);
  if (!password && !passcode) {
    throw new ValidationError('Enter your password or a passcode to remove the device.', passwordField);
  }
  await api('DELETE', `${MFA}/device`, { json: password ? { password } : { passcode } });
  passwordField.value = '';
  passcodeField.value = '';
  await loadStatus();
  showNotice('The authenticator device was removed and MFA is off.');
  focusHeading('dashboard-heading');
}

async function regenerateCodes() {
  const field = input('regen-passcode');
  const passcode = compactCode(required(field, 'Enter the current passcode from your authenticator app.'));
  const result = await api('POST', `${MFA}/recovery-codes`, { json: { passcode } });
  field.value = '';
  showRecoveryCodes(result?.recoveryCodes);
  announce('New recovery codes generated. Your old codes no longer work.');
}

// ---------------------------------------------------------------------------
// Enrolment

function startEnrolment() {
  clearMessages();
  clearEnrolment();
  const nameField = input('device-name');
  nameField.value = state.status?.deviceName ?? '';
  showView('enrol');
}

function clearEnrolment() {
  state.enrolSecret = null;
  $('enrol-step-name').hidden = false;
  $('enrol-step-scan').hidden = true;
  $('qr-box').replaceChildren();
  $('manual-key').textContent = '';
  $('otp-algorithm').textContent = '';
  $('otp-digits').textContent = '';
  $('otp-period').textContent = '';
  const link = /** @type {HTMLAnchorElement} */ ($('otpauth-link'));
  link.href = '#main';
  $('otpauth-row').hidden = true;
}

async function registerDevice() {
  const deviceName = required(input('device-name'), 'Enter a name for the device.');
  const device = await api('POST', `${MFA}/device`, { json: { deviceName } });
  if (!device || typeof device.secret !== 'string') throw new ApiError('The server did not return a device secret.');

  state.enrolSecret = device.secret.replace(/\s+/g, '');
  const name = typeof device.deviceName === 'string' ? device.deviceName : deviceName;

  const box = $('qr-box');
  box.replaceChildren();
  if (typeof device.qrCode === 'string' && device.qrCode.startsWith('data:image/')) {
    const img = document.createElement('img');
    img.id = 'qr-code';
    img.src = device.qrCode;
    img.alt = `QR code to add “${name}” to an authenticator app. If you cannot scan it, use the key shown next to it.`;
    img.width = 220;
    img.height = 220;
    box.append(img);
  }

  $('manual-key').textContent = groupKey(state.enrolSecret);
  $('otp-algorithm').textContent = String(device.algorithm ?? 'SHA1');
  $('otp-digits').textContent = String(device.digits ?? 6);
  $('otp-period').textContent = `${device.period ?? 30} seconds`;
  if (typeof device.otpauthUri === 'string' && device.otpauthUri.startsWith('otpauth://')) {
    /** @type {HTMLAnchorElement} */ ($('otpauth-link')).href = device.otpauthUri;
    $('otpauth-row').hidden = false;
  }
  input('activate-code').value = '';
  $('activate-code-hint').textContent = `Enter the ${device.digits ?? 6}-digit code your app shows for this account right now.`;

  $('enrol-step-name').hidden = true;
  $('enrol-step-scan').hidden = false;
  focusHeading('scan-heading');
  announce(`Device “${name}” registered. Add it to your authenticator app, then enter a code.`);
}

async function activateDevice() {
  const field = input('activate-code');
  const passcode = compactCode(required(field, 'Enter the code from your authenticator app.'));
  const result = await api('POST', `${MFA}/device/activate`, { json: { passcode } });
  field.value = '';
  clearEnrolment();
  showRecoveryCodes(result?.recoveryCodes);
  announce('Your device is activated and MFA is on. Save your recovery codes.');
}

/** Shows the dashboard straight away, then refreshes the status shown on it. */
async function backToDashboard() {
  showView('dashboard');
  await loadStatus();
}

async function cancelEnrolment() {
  clearEnrolment();
  await backToDashboard();
}

async function copyText(/** @type {string} */ text, /** @type {HTMLElement} */ fallbackTarget, /** @type {string} */ done) {
  try {
    if (!navigator.clipboard) throw new Error('no clipboard');
    await navigator.clipboard.writeText(text);
    announce(done);
    showNotice(done);
  } catch {
    // Select the text so the person can copy it themselves.
    const range = document.createRange();
    range.selectNodeContents(fallbackTarget);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    showNotice('Copying is not available here. The text is selected: press Ctrl+C (or ⌘C) to copy it.');
  }
}

// ---------------------------------------------------------------------------
// Recovery codes

/** @param {unknown} codes */
function showRecoveryCodes(codes) {
  if (!Array.isArray(codes) || codes.length === 0) throw new ApiError('The server did not return recovery codes.');
  state.recoveryCodes = codes.map(String);
  const list = $('recovery-codes');
  list.replaceChildren(...state.recoveryCodes.map((code) => el('li', code)));
  showView('recovery');
}

function downloadCodes() {
  const codes = state.recoveryCodes;
  if (!codes) return;
  const username = state.status?.username ?? '';
  const lines = ['Principal MFA recovery codes'];
  if (username) lines.push(`Account: ${username}`);
  lines.push(
    `Created: ${new Date().toISOString()}`,
    '',
    'Each code can be used once to sign in if you lose your authenticator device.',
    '',
    ...codes,
    '',
  );
  const blob = new Blob([lines.join('\r\n')], { type: 'text/plain;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = 'principal-mfa-recovery-codes.txt';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  announce('Recovery codes downloaded.');
}

async function codesSaved() {
  state.recoveryCodes = null;
  $('recovery-codes').replaceChildren();
  showNotice('Recovery codes hidden. Keep them somewhere safe.');
  await backToDashboard();
}

// ---------------------------------------------------------------------------
// Audit log

/** @param {number} pageStart */
async function loadAudit(pageStart) {
  const days = Number(/** @type {HTMLSelectElement} */ ($('audit-period')).value) || 30;
  const endDate = Date.now();
  const startDate = endDate - days * DAY_MS;
  const page = await api('POST', `${MFA}/audit`, {
    json: { startDate, endDate, pageStart, pageLimit: AUDIT_PAGE_LIMIT },
  });
  state.audit = { pageStart, days, startDate, endDate };
  renderAudit(page ?? {}, pageStart);
}

/**
 * Renders one page of audit events and sets up the previous/next buttons.
 * @param {any} page @param {number} pageStart the pageStart that was requested
 */
function renderAudit(page, pageStart) {
  const results = Array.isArray(page.results) ? page.results : [];
  const perPage = Number.isInteger(page.itemsPerPage) && page.itemsPerPage > 0 ? page.itemsPerPage : AUDIT_PAGE_LIMIT;
  const total = Number.isInteger(page.totalResults) ? page.totalResults : null;
  // 1-based position of the first event on this page, for the "Showing x–y of z" text.
  const start = AUDIT_PAGE_START_IS_INDEX ? pageStart : (pageStart - 1) * perPage + 1;

  const rows = results.map((/** @type {any} */ event) => {
    const tr = document.createElement('tr');
    const date = el('td', typeof event.eventDate === 'number' ? dateTime.format(event.eventDate) : '');
    const action = el('td', actionLabel(String(event.action ?? '')));
    if (typeof event.action === 'string' && actionLabel(event.action) !== event.action) {
      action.append(el('span', event.action, 'event-code'));
    }
    const device = el('td', event.details?.deviceName ?? '—');
    const by = el('td', event.modifiedBy ?? event.username ?? '');
    tr.append(date, action, device, by);
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = el('td', 'No MFA events in this period.', 'empty');
    td.colSpan = 4;
    tr.append(td);
    rows.push(tr);
  }
  $('audit-rows').replaceChildren(...rows);

  const last = start + results.length - 1;
  $('audit-summary').textContent =
    results.length === 0
      ? total ? `No events on this page (${total} in total).` : 'No events.'
      : `Showing events ${start}–${last}${total !== null ? ` of ${total}` : ''}.`;

  const prev = /** @type {HTMLButtonElement} */ ($('audit-prev'));
  const next = /** @type {HTMLButtonElement} */ ($('audit-next'));
  const hasMore = total !== null ? last < total : results.length >= perPage;
  const active = document.activeElement;
  prev.disabled = pageStart <= 1;
  next.disabled = !hasMore || results.length === 0;
  prev.dataset.target = String(AUDIT_PAGE_START_IS_INDEX ? Math.max(1, pageStart - perPage) : Math.max(1, pageStart - 1));
  next.dataset.target = String(AUDIT_PAGE_START_IS_INDEX ? pageStart + perPage : pageStart + 1);
  // Do not leave focus on a button that has just become disabled.
  if ((active === prev && prev.disabled) || (active === next && next.disabled)) {
    const other = active === prev ? next : prev;
    if (other.disabled) focusHeading('audit-heading');
    else other.focus();
  }
}

async function openAudit() {
  await loadAudit(1);
  showView('audit');
}

// ---------------------------------------------------------------------------
// Wiring

/**
 * @param {string} id
 * @param {() => Promise<void> | void} action
 */
function onSubmit(id, action) {
  const f = form(id);
  f.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(f, async () => action());
  });
}

/**
 * @param {string} id
 * @param {() => Promise<void> | void} action
 */
function onClick(id, action) {
  const button = $(id);
  button.addEventListener('click', () => {
    if (button.getAttribute('aria-disabled') === 'true') return;
    void run(button, async () => action());
  });
}

function init() {
  onSubmit('signin-form', signIn);
  onClick('sign-out', signOut);

  onClick('start-enrol', startEnrolment);
  onClick('restart-enrol', startEnrolment);
  onSubmit('device-form', registerDevice);
  onSubmit('activate-form', activateDevice);
  onClick('enrol-cancel', cancelEnrolment);
  onClick('enrol-cancel-2', cancelEnrolment);
  onClick('copy-key', () => copyText(state.enrolSecret ?? '', $('manual-key'), 'Key copied to the clipboard.'));

  onClick('download-codes', downloadCodes);
  onClick('copy-codes', () =>
    copyText((state.recoveryCodes ?? []).join('\n'), $('recovery-codes'), 'Recovery codes copied to the clipboard.'),
  );
  onClick('codes-saved', codesSaved);

  onSubmit('toggle-form', toggleMfa);
  onSubmit('rename-form', renameDevice);
  onSubmit('regen-form', regenerateCodes);
  $('remove-start').addEventListener('click', () => {
    clearMessages();
    openRemoveConfirm();
  });
  $('remove-cancel').addEventListener('click', () => closeRemoveConfirm(true));
  onSubmit('remove-form', removeDevice);

  onClick('open-audit', openAudit);
  onSubmit('audit-form', () => loadAudit(1));
  onClick('audit-prev', () => loadAudit(Number($('audit-prev').dataset.target) || 1));
  onClick('audit-next', () => loadAudit(Number($('audit-next').dataset.target) || 1));
  onClick('audit-back', backToDashboard);

  // Initial view; focus stays where the browser put it on load.
  showView('signin', null);
}

init();
