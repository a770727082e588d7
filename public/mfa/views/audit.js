// The audit log view: one page of events, the "Showing x–y of z" line and the pager.
import { AUDIT_PAGE_LIMIT } from '../lib/api.js';
import { byId, createElement, focusLater, setText } from '../lib/dom.js';
import { dateTime, labelAction } from '../lib/format.js';

/** @type {import('../lib/state.js').State['audit']} */
let shownAudit = null;

/** @param {import('../lib/state.js').State} state */
export function render(state) {
  if (state.audit === shownAudit) return;
  shownAudit = state.audit;
  if (!shownAudit) {
    byId('audit-rows').replaceChildren();
    setText(byId('audit-summary'), '');
    return;
  }
  const { page, pageStart } = shownAudit;
  const results = Array.isArray(page.results) ? page.results : [];
  const perPage = Number.isInteger(page.itemsPerPage) && page.itemsPerPage > 0 ? page.itemsPerPage : AUDIT_PAGE_LIMIT;
  const total = Number.isInteger(page.totalResults) ? page.totalResults : null;
  byId('audit-rows').replaceChildren(...createRows(results));

  // pageStart is the 1-based position of the first result (docs/mfa.md), so pages move by perPage.
  const last = pageStart + results.length - 1;
  setText(byId('audit-summary'), describePage(results.length, pageStart, last, total));
  const hasMore = total !== null ? last < total : results.length >= perPage;
  renderPager(pageStart <= 1, !hasMore || results.length === 0);
  byId('audit-prev').dataset.target = String(Math.max(1, pageStart - perPage));
  byId('audit-next').dataset.target = String(pageStart + perPage);
}

/** @param {any[]} results */
function createRows(results) {
  const rows = results.map((/** @type {any} */ event) => {
    const tr = document.createElement('tr');
    const date = createElement('td', typeof event.eventDate === 'number' ? dateTime.format(event.eventDate) : '');
    const action = createElement('td', labelAction(String(event.action ?? '')));
    if (typeof event.action === 'string' && labelAction(event.action) !== event.action) {
      action.append(createElement('span', event.action, 'event-code'));
    }
    const device = createElement('td', event.details?.deviceName ?? '—');
    const by = createElement('td', event.modifiedBy ?? event.username ?? '');
    tr.append(date, action, device, by);
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = /** @type {HTMLTableCellElement} */ (createElement('td', 'No MFA events in this period.', 'empty'));
    td.colSpan = 4;
    tr.append(td);
    rows.push(tr);
  }
  return rows;
}

/** @param {number} count @param {number} first @param {number} last @param {number | null} total */
function describePage(count, first, last, total) {
  if (count > 0) return `Showing events ${first}–${last}${total !== null ? ` of ${total}` : ''}.`;
  return total ? `No events on this page (${total} in total).` : 'No events.';
}

/** @param {boolean} atStart @param {boolean} atEnd */
function renderPager(atStart, atEnd) {
  const prev = /** @type {HTMLButtonElement} */ (byId('audit-prev'));
  const next = /** @type {HTMLButtonElement} */ (byId('audit-next'));
  const active = document.activeElement;
  prev.disabled = atStart;
  next.disabled = atEnd;
  // Do not leave focus on a button that has just become disabled.
  if ((active === prev && prev.disabled) || (active === next && next.disabled)) {
    const other = active === prev ? next : prev;
    if (other.disabled) focusLater('audit-heading');
    else other.focus();
  }
}
