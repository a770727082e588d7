// DOM helpers shared by views and actions: lookup by id, element creation, focus and announcements.

/** @param {string} id @returns {HTMLElement} */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`Missing element #${id}`);
  return node;
}

/** @param {string} id @returns {HTMLInputElement} */
export function inputById(id) {
  return /** @type {HTMLInputElement} */ (byId(id));
}

/**
 * Creates an element with text content and optional class.
 * @param {string} tag @param {string} [text] @param {string} [className]
 */
export function createElement(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** Writes text only when it changed: rewriting a live region with the same words announces them again. */
export function setText(/** @type {HTMLElement} */ node, /** @type {string} */ text) {
  if (node.textContent !== text) node.textContent = text;
}

/** True when the element is in the page and no ancestor of it is hidden. @param {Element | null} node */
export function isShown(node) {
  return node instanceof HTMLElement && node.isConnected && !node.closest('[hidden]');
}

/** Moves focus to a heading (or other element) once it has been rendered. @param {string} id */
export function focusLater(id) {
  const target = byId(id);
  // Wait a frame so an element that was just unhidden can take focus.
  requestAnimationFrame(() => target.focus());
}

/** Announces a message to screen readers without showing it. @param {string} message */
export function announce(message) {
  const live = byId('live');
  live.textContent = '';
  // A short delay makes repeated identical messages announce again.
  setTimeout(() => {
    live.textContent = message;
  }, 50);
}
