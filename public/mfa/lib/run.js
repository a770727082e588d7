// Runs what a form or button does: one request at a time per control, and any error shown in the
// error region next to that control, scrolled into view, with focus where the person can fix it.
import { ApiError } from './api.js';
import { byId, isShown } from './dom.js';
import { update } from './state.js';
import { ValidationError } from './validation.js';

/** Error regions carry this class; each form or card that can fail has one as a direct child. */
const REGION = '.alert-error';

export function clearMessages() {
  update({ notice: '', error: null });
}

/**
 * @param {HTMLElement} owner form or button
 * @param {() => Promise<void> | void} action
 */
export async function run(owner, action) {
  if (owner.getAttribute('aria-busy') === 'true') return;
  clearMessages();
  const buttons = owner instanceof HTMLFormElement ? [...owner.querySelectorAll('button')] : [owner];
  owner.setAttribute('aria-busy', 'true');
  for (const button of buttons) button.setAttribute('aria-disabled', 'true');
  try {
    await action();
  } catch (error) {
    showError(owner, error);
  } finally {
    owner.removeAttribute('aria-busy');
    for (const button of buttons) button.removeAttribute('aria-disabled');
  }
}

/** @param {string} id @param {() => Promise<void> | void} action */
export function bindSubmit(id, action) {
  const form = byId(id);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(form, action);
  });
}

/** @param {string} id @param {() => Promise<void> | void} action */
export function bindClick(id, action) {
  const button = byId(id);
  button.addEventListener('click', () => {
    if (button.getAttribute('aria-disabled') === 'true') return;
    void run(button, action);
  });
}

/** @param {HTMLElement} owner @param {unknown} error */
function showError(owner, error) {
  // Not a refusal by the server or a check in the page: a bug here, worth a line in the console.
  if (!(error instanceof ApiError) && !(error instanceof ValidationError)) console.error(error);
  const region = findRegion(owner);
  update({ error: { regionId: region.id, error } });
  moveFocus(owner, region, error);
  region.scrollIntoView({ block: 'nearest' });
}

/**
 * The nearest visible error region around the owner. An action that has already left its view
 * (back to the dashboard, then the status fails) falls back to the page's region at the top.
 * @param {HTMLElement} owner
 */
function findRegion(owner) {
  for (let node = /** @type {HTMLElement | null} */ (owner); node; node = node.parentElement) {
    const region = node.querySelector(`:scope > ${REGION}`);
    if (region instanceof HTMLElement && isShown(region)) return region;
  }
  return byId('error');
}

/**
 * Focus goes where the next step is: the "sign in again" offer, the field that failed the check, or
 * the field the person filled in (to correct a wrong passcode or password); focus is never left on
 * something that is no longer shown.
 * @param {HTMLElement} owner @param {HTMLElement} region @param {unknown} error
 */
function moveFocus(owner, region, error) {
  const offer = region.querySelector('button');
  if (offer) return offer.focus();
  if (error instanceof ValidationError && error.field) return error.field.focus();
  const field = owner instanceof HTMLFormElement ? findFilledField(owner) : null;
  if (field && isShown(field)) return field.focus();
  const active = document.activeElement;
  if (!active || active === document.body || !isShown(active)) region.focus();
}

/** @param {HTMLFormElement} form */
function findFilledField(form) {
  const fields = /** @type {HTMLInputElement[]} */ ([...form.querySelectorAll('input, select')]);
  return fields.find((field) => isShown(field) && field.value) ?? fields.find(isShown) ?? null;
}
