// The page's one state object. Actions change it only through update(); every change re-renders the
// views, which read nothing else. Secrets in it (the enrolment key, recovery codes) are dropped as soon
// as the step that shows them ends.

/** @typedef {'signin' | 'dashboard' | 'enrol' | 'recovery' | 'audit' | 'org'} ViewName */
/**
 * @typedef {object} Enrolment a registered device waiting for its first code
 * @property {string} secret base32, without spaces
 * @property {string} name
 * @property {string} [qrCode] a data:image/ URL
 * @property {string} algorithm
 * @property {number} digits
 * @property {number} periodSeconds
 * @property {string} [otpauthUri]
 */
/**
 * @typedef {object} State
 * @property {ViewName} view
 * @property {null | {username: string, endsAt: number | null}} session who is signed in, for the session bar
 * @property {null | {activated: boolean, deviceName?: string, turnedOn: boolean, username: string}} status
 * @property {null | any[]} authenticators the TOTP device and passkeys (GET …/mfa/authenticators)
 * @property {boolean} removeConfirmOpen
 * @property {Enrolment | null} enrolment
 * @property {string[] | null} recoveryCodes
 * @property {null | {page: any, pageStart: number}} audit the last audit page and the pageStart asked for
 * @property {null | {orgId: string, isOrgAdmin: boolean, enrolmentDueAt: number | null, totals: any, page: any}} org
 *   the organization as the token shows it (views/org.js), and the Organization tab's last answers
 * @property {string} notice success message shown at the top
 * @property {null | {regionId: string, error: unknown}} error shown in one error region, next to its control
 */

/** @returns {State} */
function createInitialState() {
  return {
    view: 'signin',
    session: null,
    status: null,
    authenticators: null,
    removeConfirmOpen: false,
    enrolment: null,
    recoveryCodes: null,
    audit: null,
    org: null,
    notice: '',
    error: null,
  };
}

export const state = createInitialState();

/** @type {(state: State) => void} */
let render = () => {};

/** Sets the one function that renders every view from the state. @param {(state: State) => void} renderAll */
export function onUpdate(renderAll) {
  render = renderAll;
}

/** @param {Partial<State>} patch */
export function update(patch) {
  Object.assign(state, patch);
  render(state);
}

/** Back to the state of a freshly loaded page, then the patch. @param {Partial<State>} [patch] */
export function resetState(patch) {
  update({ ...createInitialState(), ...patch });
}
