// The enrolment view: name the device, then its QR code, key and parameters until it is activated.
import { byId, setText } from '../lib/dom.js';
import { groupKey } from '../lib/format.js';

/** @type {import('../lib/state.js').Enrolment | null} */
let shownEnrolment = null;

/** @param {import('../lib/state.js').State} state */
export function render(state) {
  const enrolment = state.enrolment;
  if (enrolment === shownEnrolment) return;
  shownEnrolment = enrolment;
  byId('enrol-step-name').hidden = Boolean(enrolment);
  byId('enrol-step-scan').hidden = !enrolment;
  byId('qr-box').replaceChildren(...(enrolment?.qrCode ? [createQrImage(enrolment.qrCode, enrolment.name)] : []));
  setText(byId('manual-key'), enrolment ? groupKey(enrolment.secret) : '');
  setText(byId('otp-algorithm'), enrolment?.algorithm ?? '');
  setText(byId('otp-digits'), enrolment ? String(enrolment.digits) : '');
  setText(byId('otp-period'), enrolment ? `${enrolment.periodSeconds} seconds` : '');
  /** @type {HTMLAnchorElement} */ (byId('otpauth-link')).href = enrolment?.otpauthUri ?? '#main';
  byId('otpauth-row').hidden = !enrolment?.otpauthUri;
  if (enrolment) {
    setText(byId('activate-code-hint'), `Enter the ${enrolment.digits}-digit code your app shows for this account right now.`);
  }
}

/** @param {string} src a data:image/ URL @param {string} name */
function createQrImage(src, name) {
  const img = document.createElement('img');
  img.id = 'qr-code';
  img.src = src;
  img.alt = `QR code to add “${name}” to an authenticator app. If you cannot scan it, use the key shown next to it.`;
  img.width = 220;
  img.height = 220;
  return img;
}
