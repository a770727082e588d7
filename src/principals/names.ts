// The rules for the names principals are known by, wherever a name comes from: the CLI, a bulk import, an outside token.
// ASCII only on purpose: a username is typed into the CLI and shown in audit rows, and look-alike letters would make two names one.

/** The columns hold 255 characters (migrations 001 and 003). */
export const MAX_NAME_LENGTH = 255;

const USERNAME = /^[A-Za-z0-9._@+-]{1,255}$/;
const ORG_ID = /^[A-Za-z0-9._-]{1,255}$/;

/** The username rule in words, for messages (prefix it: "--username may hold …", "username must be …"). */
export const USERNAME_RULE = '1-255 letters, digits and . _ @ + -';
export const ORG_ID_RULE = '1-255 letters, digits and . _ -';

/** A local user's name, or the displayed name of an outside principal. */
export function isValidUsername(value: unknown): value is string {
  return typeof value === 'string' && USERNAME.test(value);
}

/** The org a user or a client belongs to (a token's `context`). */
export function isValidOrgId(value: unknown): value is string {
  return typeof value === 'string' && ORG_ID.test(value);
}

/** A client's name is only shown, so any text goes; it must fit its column. */
export function isValidClientName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_NAME_LENGTH;
}
