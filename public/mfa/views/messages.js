// The success notice at the top and the one error on screen, in the region next to its control.
// Regions are role="alert", so what is written into them is announced.
import { ApiError } from '../lib/api.js';
import { byId, createElement, setText } from '../lib/dom.js';
import { ValidationError } from '../lib/validation.js';

/** @type {import('../lib/state.js').State['error']} */
let shownError = null;
let returnToSignIn = () => {};

/** @param {{returnToSignIn: () => void}} handlers */
export function bind(handlers) {
  returnToSignIn = handlers.returnToSignIn;
}

/** @param {import('../lib/state.js').State} state */
export function render(state) {
  setText(byId('notice'), state.notice);
  // Rewriting an alert region announces it again: only a new error is written.
  if (state.error === shownError) return;
  shownError = state.error;
  for (const region of document.querySelectorAll('.alert-error')) region.replaceChildren();
  for (const field of document.querySelectorAll('[aria-invalid="true"]')) field.removeAttribute('aria-invalid');
  if (!shownError) return;
  const { regionId, error } = shownError;
  if (error instanceof ValidationError) error.field?.setAttribute('aria-invalid', 'true');
  const nodes = describeError(error);
  const message = nodes[0];
  if (message) message.id = 'error-message';
  byId(regionId).replaceChildren(...nodes);
}

/** Exactly the server's message and the request id, or the page's own check. @param {unknown} error */
function describeError(error) {
  if (error instanceof ValidationError) return [createElement('p', error.message, 'error-message')];
  if (!(error instanceof ApiError)) {
    return [createElement('p', 'Something went wrong in this page. Reload it and try again.', 'error-message')];
  }
  const nodes = [createElement('p', error.message, 'error-message')];
  if (error.requestId) nodes.push(createElement('p', `Request ID: ${error.requestId}`, 'request-id'));
  if (error.status === 401 && error.authenticated) {
    nodes.push(createElement('p', 'Your session is no longer valid. Sign in again to continue.', 'error-hint'));
    const actions = createElement('div', undefined, 'actions');
    const button = createElement('button', 'Go to sign-in page', 'button button-secondary button-small');
    button.setAttribute('type', 'button');
    button.id = 'error-signin';
    button.addEventListener('click', () => returnToSignIn());
    actions.append(button);
    nodes.push(actions);
  }
  return nodes;
}
