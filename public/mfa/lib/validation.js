// Checks made in the page before a request: a ValidationError names the field to fix.

export class ValidationError extends Error {
  /** @param {string} message @param {HTMLElement} [field] */
  constructor(message, field) {
    super(message);
    this.name = 'ValidationError';
    this.field = field;
  }
}

/** The trimmed value of a field that must not be empty. @param {HTMLInputElement} field @param {string} message */
export function requireValue(field, message) {
  const value = field.value.trim();
  if (!value) throw new ValidationError(message, field);
  return value;
}
