// "Use a passkey" on the sign-in page's second-factor step. Loaded from this server after
// @simplewebauthn/browser's bundle (which defines globalThis.SimpleWebAuthnBrowser); no inline script.
// On submit: fetch request options for this sign-in (same origin, its CSRF token), let the browser ask
// for the passkey, put the AuthenticationResponseJSON into the hidden field `webauthn`, and post the form.
// The server verifies it; without this script the form posts an empty field and the page says why.
(() => {
  const form = document.getElementById('passkey-form');
  if (!(form instanceof HTMLFormElement)) return;
  const field = form.elements.namedItem('webauthn');
  const csrf = form.elements.namedItem('csrf');
  const button = form.querySelector('button[type="submit"]');
  const errorBox = document.getElementById('webauthn-error');

  /** @param {string} message */
  function showError(message) {
    if (!errorBox) return;
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  /** A cancelled or failed browser prompt, in words a person can act on. @param {unknown} error */
  function messageOf(error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'NotAllowedError') return 'The passkey prompt was cancelled or timed out. Try again, or use another way to sign in.';
    if (error instanceof Error && error.message) return error.message;
    return 'Your browser could not use a passkey.';
  }

  async function optionsForThisSignIn() {
    const response = await fetch(form.dataset.options || '', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ csrf: csrf instanceof HTMLInputElement ? csrf.value : '' }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(typeof body.message === 'string' ? body.message : 'Passkey options could not be fetched.');
    return body;
  }

  form.addEventListener('submit', async (event) => {
    if (!(field instanceof HTMLInputElement) || field.value !== '') return;
    event.preventDefault();
    const library = /** @type {any} */ (globalThis).SimpleWebAuthnBrowser;
    if (!library || !library.browserSupportsWebAuthn()) {
      showError('This browser cannot use passkeys here. Use another way to sign in.');
      return;
    }
    if (button instanceof HTMLButtonElement) button.disabled = true;
    try {
      const optionsJSON = await optionsForThisSignIn();
      const assertion = await library.startAuthentication({ optionsJSON });
      field.value = JSON.stringify(assertion);
      form.submit();
    } catch (error) {
      showError(messageOf(error));
      if (button instanceof HTMLButtonElement) button.disabled = false;
    }
  });
})();
