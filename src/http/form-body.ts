// Strict application/x-www-form-urlencoded parsing for the token endpoints.
// Hand-written rather than URLSearchParams because that silently accepts broken percent-encoding
// and repeated fields; an identity endpoint should refuse both with a clear 400.
import { ApiError } from '../errors.js';

export type FormBody = Record<string, string>;

export function parseFormBody(text: string): FormBody {
  const out: FormBody = Object.create(null);
  if (text === '') return out;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
    if (Object.prototype.hasOwnProperty.call(out, name))
      throw new ApiError('invalid_request', `invalid_request: Form field "${name.slice(0, 40)}" appears more than once.`);
    out[name] = value;
  }
  return out;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new ApiError('invalid_request', 'invalid_request: The request body is not valid form encoding.');
  }
}

/** A form field's value, with an empty value read as absent (as CSP's Spring endpoints do). */
export function optionalField(body: FormBody, name: string): string | undefined {
  const value = body[name];
  return value === undefined || value === '' ? undefined : value;
}

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
