// The access token from the API token exchange. It lives only in this module's memory: never in
// storage, cookies or the URL, and only api.js reads it.

/** @type {string | null} */
let accessToken = null;

/** @param {string} token */
export function keepAccessToken(token) {
  accessToken = token;
}

export function readAccessToken() {
  return accessToken;
}

export function forgetAccessToken() {
  accessToken = null;
}
