// The enrolment pages of a sign-in (enrolment.ts): the new device's QR code and key with a passcode field,
// then the recovery codes, shown once, with a button to continue. Same house as pages.ts: escaped values,
// no script, errors next to their field.
import type { RegisteredDevice } from '../mfa/dtos.js';
import type { EnrolmentReason } from './enrolment.js';
import { csrfField, escapeHtml, formError, heading, input, layout, type PageErrors } from './pages.js';

function reasonText(reason: EnrolmentReason, applicationName: string): string {
  if (reason === 'policy') return 'Your organization requires a second factor for signing in, and your enrolment period has ended. Set one up now to continue.';
  return `${applicationName} requires a second factor for this sign-in, and this account has none yet. Set one up now to continue.`;
}

/** The key in groups of four, as authenticator apps show it; the apps ignore the spaces. */
const groupedKey = (secret: string): string => secret.replace(/(.{4})(?=.)/g, '$1 ');

export function renderEnrolPage(input_: {
  applicationName: string;
  reason: EnrolmentReason;
  device: RegisteredDevice;
  action: string;
  csrf: string;
  errors: PageErrors;
}): string {
  const { device, errors } = input_;
  return layout(
    'Set up a second factor',
    `${heading(input_.applicationName)}
<h2>Set up a second factor</h2>
<p>${escapeHtml(reasonText(input_.reason, input_.applicationName))}</p>
<ol class="steps">
<li>Scan this QR code with an authenticator app (for example on your phone).
<img class="qr-code" src="${escapeHtml(device.qrCode)}" alt="QR code for setting up the authenticator app; the same key is written out below." width="200" height="200"></li>
<li>Or type this key into the app, as a time-based key (${device.digits} digits, every ${device.period} seconds):
<code class="secret" id="secret">${escapeHtml(groupedKey(device.secret))}</code></li>
<li>Enter the code the app shows now.</li>
</ol>
<form method="post" action="${escapeHtml(input_.action)}" novalidate>
${formError(errors)}
${csrfField(input_.csrf)}
${input(
  {
    name: 'passcode',
    label: 'Passcode',
    type: 'text',
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    hint: `The ${device.digits}-digit code from your authenticator app.`,
    maxLength: 64,
    autofocus: true,
  },
  errors,
)}
<button type="submit">Activate</button>
</form>`,
  );
}

/** After activation: the recovery codes, shown only here (none when the principal already had a set), and the way on. */
export function renderEnrolledPage(input_: { applicationName: string; recoveryCodes: string[] | undefined; action: string; csrf: string }): string {
  const codes = input_.recoveryCodes ?? [];
  const codesHtml =
    codes.length > 0
      ? `<p>Each recovery code below signs you in once if you lose your authenticator app. They are shown only now: save them somewhere safe before you continue.</p>
<ol class="recovery-codes" aria-label="Recovery codes">
${codes.map((code) => `<li><code>${escapeHtml(code)}</code></li>`).join('\n')}
</ol>`
      : input_.recoveryCodes === undefined
        ? '<p>Your recovery codes were shown once, right after the set-up; they are not shown again. You can make a new set on the self-service page (/mfa).</p>'
        : '';
  return layout(
    'Second factor set up',
    `${heading(input_.applicationName)}
<h2>Your authenticator app is set up</h2>
${codesHtml}
<form method="post" action="${escapeHtml(input_.action)}">
${csrfField(input_.csrf)}
<button type="submit">Continue to ${escapeHtml(input_.applicationName)}</button>
</form>`,
  );
}
