// Which view is on screen, and the session bar in the header.
import { byId, setText } from '../lib/dom.js';
import { timeOnly } from '../lib/format.js';

const VIEWS = ['signin', 'dashboard', 'enrol', 'recovery', 'audit', 'org'];

/** @param {import('../lib/state.js').State} state */
export function render(state) {
  for (const view of VIEWS) byId(`view-${view}`).hidden = view !== state.view;
  const session = state.session;
  byId('session-bar').hidden = state.view === 'signin' || !session;
  setText(byId('session-user'), !session ? '' : session.username ? `Signed in as ${session.username}` : 'Signed in');
  setText(byId('session-expiry'), session?.endsAt ? `Session ends at ${timeOnly.format(session.endsAt)}` : '');
}
