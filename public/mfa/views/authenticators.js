// The authenticators card: every authenticator with its times; passkeys with rename and remove controls,
// each with its own error region (role="alert") so an error shows next to the control that caused it.
import { byId, createElement } from '../lib/dom.js';

/** @type {unknown} */
let shown = null;
/** @type {{rename: (id: string, form: HTMLFormElement) => void, remove: (id: string, button: HTMLElement) => void}} */
let handlers = { rename: () => {}, remove: () => {} };

/** @param {typeof handlers} given */
export function bind(given) {
  handlers = given;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
/** @param {number | null | undefined} ms */
const when = (ms) => (typeof ms === 'number' ? dateTime.format(ms) : 'never');

/** @param {import('../lib/state.js').State} state */
export function render(state) {
  byId('panel-authenticators').hidden = state.view !== 'dashboard' || !state.status;
  // Rebuilt only when the list changes: an error written into an item must survive other updates.
  if (state.authenticators === shown) return;
  shown = state.authenticators;
  const list = byId('authenticator-list');
  const items = Array.isArray(state.authenticators) ? state.authenticators : [];
  list.replaceChildren(...items.map(renderItem));
  byId('authenticators-empty').hidden = items.length > 0;
}

/** @param {any} a */
function renderItem(a) {
  const item = createElement('li', undefined, 'authenticator');
  item.dataset.id = String(a.id);
  const title = createElement('p', undefined, 'authenticator-name');
  title.append(createElement('strong', String(a.name)), ` · ${a.type === 'totp' ? 'Authenticator app' : a.backedUp ? 'Passkey (synced)' : 'Passkey'}`);
  item.append(title, createElement('p', `Added ${when(a.createdAt)} · last used ${when(a.lastUsedAt)}`, 'hint'));
  if (a.type !== 'webauthn') return item;

  const form = /** @type {HTMLFormElement} */ (createElement('form', undefined, 'form form-inline'));
  form.noValidate = true;
  const inputId = `rename-${a.id}`;
  const label = createElement('label', `New name for ${a.name}`, 'visually-hidden');
  label.setAttribute('for', inputId);
  const input = /** @type {HTMLInputElement} */ (createElement('input'));
  Object.assign(input, { id: inputId, type: 'text', autocomplete: 'off', value: String(a.name) });
  const rename = createElement('button', 'Rename', 'button button-secondary button-small');
  rename.setAttribute('type', 'submit');
  const remove = createElement('button', 'Remove…', 'button button-danger-outline button-small');
  remove.setAttribute('type', 'button');
  remove.setAttribute('aria-label', `Remove ${a.name}`);
  form.append(label, input, rename, remove);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    handlers.rename(String(a.id), form);
  });
  remove.addEventListener('click', () => handlers.remove(String(a.id), remove));
  const error = createElement('div', undefined, 'alert alert-error alert-inline');
  Object.assign(error, { id: `authenticator-error-${a.id}`, tabIndex: -1 });
  error.setAttribute('role', 'alert');
  item.append(form, error);
  return item;
}
