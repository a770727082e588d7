// The recovery codes view: the codes, shown once.
import { byId, createElement } from '../lib/dom.js';

/** @type {string[] | null} */
let shownCodes = null;

/** @param {import('../lib/state.js').State} state */
export function render(state) {
  if (state.recoveryCodes === shownCodes) return;
  shownCodes = state.recoveryCodes;
  byId('recovery-codes').replaceChildren(...(shownCodes ?? []).map((code) => createElement('li', code)));
}
