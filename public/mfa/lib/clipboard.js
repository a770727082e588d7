// Copies text for the person, or selects it on screen where the clipboard is not available.
import { announce } from './dom.js';
import { update } from './state.js';

/** @param {string} text @param {HTMLElement} fallbackTarget @param {string} done */
export async function copyText(text, fallbackTarget, done) {
  try {
    if (!navigator.clipboard) throw new Error('no clipboard');
    await navigator.clipboard.writeText(text);
    announce(done);
    update({ notice: done });
  } catch {
    const range = document.createRange();
    range.selectNodeContents(fallbackTarget);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    update({ notice: 'Copying is not available here. The text is selected: press Ctrl+C (or ⌘C) to copy it.' });
  }
}
