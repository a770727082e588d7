// The sign-in pages, rendered on the server: every value is escaped, no inline script, and the stylesheet
// (and, on a second-factor page that offers a passkey, two scripts) are served from this server. Each error
// sits next to the field that caused it.
import { SIGNIN_PASSKEY_OPTIONS_PATH } from '../paths.js';
import type { SecondFactor } from './factors.js';

export const SIGNIN_STYLESHEET_PATH = '/csp/gateway/signin/assets/signin.css';
/** @simplewebauthn/browser's bundle (it defines globalThis.SimpleWebAuthnBrowser), and the page's passkey script. */
export const SIGNIN_WEBAUTHN_LIBRARY_PATH = '/csp/gateway/signin/assets/simplewebauthn-browser.js';
export const SIGNIN_PASSKEY_SCRIPT_PATH = '/csp/gateway/signin/assets/passkey.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** HTML text and attribute values (always double-quoted). */
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

export interface PageErrors {
  /** Field name → message shown under it. */
  fields?: Record<string, string>;
  /** A message for the whole form (lockout, rate limit). */
  form?: string;
}

export function layout(title: string, body: string, scripts: readonly string[] = []): string {
  const scriptTags = scripts.map((src) => `\n<script src="${escapeHtml(src)}" defer></script>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${SIGNIN_STYLESHEET_PATH}">${scriptTags}
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface InputSpec {
  name: string;
  label: string;
  type: 'text' | 'password';
  autocomplete: string;
  value?: string;
  hint?: string;
  inputmode?: string;
  maxLength: number;
  autofocus: boolean;
}

export function input(spec: InputSpec, errors: PageErrors): string {
  const error = errors.fields?.[spec.name];
  const describedBy = [spec.hint ? `${spec.name}-hint` : '', error ? `${spec.name}-error` : ''].filter(Boolean).join(' ');
  const attributes = [
    `id="${spec.name}"`,
    `name="${spec.name}"`,
    `type="${spec.type}"`,
    `autocomplete="${spec.autocomplete}"`,
    `maxlength="${spec.maxLength}"`,
    'required',
    'autocapitalize="none"',
    'spellcheck="false"',
    spec.inputmode ? `inputmode="${spec.inputmode}"` : '',
    spec.value !== undefined ? `value="${escapeHtml(spec.value)}"` : '',
    describedBy ? `aria-describedby="${describedBy}"` : '',
    error ? 'aria-invalid="true"' : '',
    spec.autofocus ? 'autofocus' : '',
  ].filter(Boolean);
  return [
    `<label for="${spec.name}">${escapeHtml(spec.label)}</label>`,
    spec.hint ? `<p class="hint" id="${spec.name}-hint">${escapeHtml(spec.hint)}</p>` : '',
    `<input ${attributes.join(' ')}>`,
    error ? `<p class="field-error" id="${spec.name}-error" role="alert">${escapeHtml(error)}</p>` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export const formError = (errors: PageErrors): string => (errors.form ? `<p class="form-error" role="alert">${escapeHtml(errors.form)}</p>` : '');
export const csrfField = (csrf: string): string => `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;
export const heading = (applicationName: string): string =>
  `<h1>Sign in</h1>\n<p class="application">to continue to <strong>${escapeHtml(applicationName)}</strong></p>`;

export function renderPasswordPage(input_: { applicationName: string; action: string; csrf: string; username?: string; errors: PageErrors }): string {
  const { errors } = input_;
  // Focus goes to the field in error, else the first empty one.
  const focusPassword = Boolean(errors.fields?.password) || (input_.username !== undefined && !errors.fields?.username);
  return layout(
    'Sign in',
    `${heading(input_.applicationName)}
<form method="post" action="${escapeHtml(input_.action)}" novalidate>
${formError(errors)}
${csrfField(input_.csrf)}
${input({ name: 'username', label: 'Username', type: 'text', autocomplete: 'username', value: input_.username, maxLength: 255, autofocus: !focusPassword }, errors)}
${input({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', maxLength: 1024, autofocus: focusPassword }, errors)}
<button type="submit">Sign in</button>
</form>`,
  );
}

/** A passkey's part of its form: the hint, the hidden field the script fills, and the place for its error. */
function passkeyFields(hint: string, errors: PageErrors): string {
  const error = errors.fields?.webauthn;
  return [
    `<p class="hint" id="webauthn-hint">${escapeHtml(hint)}</p>`,
    '<input type="hidden" name="webauthn" value="">',
    `<p class="field-error" id="webauthn-error" role="alert"${error ? '' : ' hidden'}>${error ? escapeHtml(error) : ''}</p>`,
  ].join('\n');
}

/** Whether the page needs its scripts (and a policy that lets them run and fetch options from this server). */
export const offersPasskey = (factors: readonly SecondFactor[]): boolean => factors.some((factor) => factor.webauthn !== undefined);

export function renderSecondFactorPage(input_: { applicationName: string; action: string; csrf: string; factors: SecondFactor[]; errors: PageErrors }): string {
  const sections = input_.factors.map(
    (factor, index) => `<section aria-labelledby="factor-${escapeHtml(factor.id)}">
<h2 id="factor-${escapeHtml(factor.id)}">${escapeHtml(factor.title)}</h2>
<form method="post" action="${escapeHtml(input_.action)}" novalidate${
      factor.webauthn ? ` id="passkey-form" data-options="${escapeHtml(SIGNIN_PASSKEY_OPTIONS_PATH)}" aria-describedby="webauthn-hint"` : ''
    }>
${index === 0 ? formError(input_.errors) : ''}
${csrfField(input_.csrf)}
<input type="hidden" name="factor" value="${escapeHtml(factor.id)}">
${factor.fields
  .map((field, i) =>
    input(
      {
        name: field.name,
        label: field.label,
        type: 'text',
        autocomplete: field.autocomplete,
        hint: field.hint,
        inputmode: field.inputmode,
        maxLength: field.maxLength,
        autofocus: index === 0 && i === 0,
      },
      input_.errors,
    ),
  )
  .join('\n')}
${factor.webauthn ? passkeyFields(factor.webauthn.hint, input_.errors) : ''}
<button type="submit">${escapeHtml(factor.submitLabel)}</button>
</form>
</section>`,
  );
  const scripts = offersPasskey(input_.factors) ? [SIGNIN_WEBAUTHN_LIBRARY_PATH, SIGNIN_PASSKEY_SCRIPT_PATH] : [];
  return layout('Second factor', `${heading(input_.applicationName)}\n${sections.join('\n')}`, scripts);
}

/** A page that ends the flow here: an untrustworthy request, an expired sign-in, a signed-out message. */
export function renderMessagePage(title: string, message: string, link?: { href: string; text: string }): string {
  const linkHtml = link ? `\n<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : '';
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p role="alert">${escapeHtml(message)}</p>${linkHtml}`);
}

/** Sign-out without an ID token hint: asked, so a third-party page cannot sign people out with an image tag. */
export function renderSignOutPage(input_: { action: string; csrf: string; fields: Record<string, string> }): string {
  const hidden = Object.entries(input_.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return layout(
    'Sign out',
    `<h1>Sign out</h1>
<p>Sign out of principal-mfa on this browser?</p>
<form method="post" action="${escapeHtml(input_.action)}">
${csrfField(input_.csrf)}
${hidden}
<button type="submit">Sign out</button>
</form>`,
  );
}
