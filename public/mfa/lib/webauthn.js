// The browser's WebAuthn ceremonies through @simplewebauthn/browser, served from this origin (no CDN). Its
// bundle defines globalThis.SimpleWebAuthnBrowser when loaded, module or not.
import '/mfa/assets/vendor/simplewebauthn-browser.js';
import { ApiError } from './api.js';

/** @returns {{startRegistration: Function, startAuthentication: Function, browserSupportsWebAuthn: () => boolean}} */
function library() {
  const lib = /** @type {any} */ (globalThis).SimpleWebAuthnBrowser;
  if (!lib) throw new ApiError('Passkeys could not be loaded in this page. Reload it and try again.');
  return lib;
}

/** A cancelled or failed browser prompt, in words a person can act on. @param {unknown} error */
function toPageError(error) {
  if (error instanceof ApiError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError') return new ApiError('The passkey prompt was cancelled or timed out. Try again.');
  if (name === 'InvalidStateError') return new ApiError('This authenticator is already registered for your account.');
  return new ApiError(`Your browser could not use a passkey${error instanceof Error && error.message ? `: ${error.message}` : '.'}`);
}

/** navigator.credentials.create() for the server's creation options. @param {any} optionsJSON */
export async function createCredential(optionsJSON) {
  if (!library().browserSupportsWebAuthn()) throw new ApiError('This browser does not support passkeys.');
  try {
    return await library().startRegistration({ optionsJSON });
  } catch (error) {
    throw toPageError(error);
  }
}

/** navigator.credentials.get() for the server's request options. @param {any} optionsJSON */
export async function getAssertion(optionsJSON) {
  if (!library().browserSupportsWebAuthn()) throw new ApiError('This browser does not support passkeys.');
  try {
    return await library().startAuthentication({ optionsJSON });
  } catch (error) {
    throw toPageError(error);
  }
}
