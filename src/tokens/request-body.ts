// Request bodies of the token endpoints. Strict form encoding everywhere, and an empty body under any
// content type (the API token then comes in the query). At the API-token exchange also a JSON object
// of strings, as some CSP clients send it; the OAuth endpoints keep to form encoding (RFC 6749 §3.2).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { FORM_CONTENT_TYPE, type FormBody, parseFormBody } from '../http/form-body.js';

const BODY_LIMIT_BYTES = 16 * 1024;

export interface BodyOptions {
  /** Read a JSON object body; then only these fields are kept, and each must be a string. */
  jsonFields?: readonly string[];
}

/** Replaces the context's body parsers: every body becomes a FormBody, or a 400 invalid_request. */
export function registerTokenBodyParsers(app: FastifyInstance, options: BodyOptions): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, async (request: FastifyRequest, text: string) =>
    parseTokenRequestBody(request.headers['content-type'], text, options),
  );
}

export function parseTokenRequestBody(contentType: string | undefined, text: string, options: BodyOptions): FormBody {
  const mediaType = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (text.trim() === '') return Object.create(null);
  if (mediaType === FORM_CONTENT_TYPE) return parseFormBody(text);
  // JSON under any other content type: clients label it application/json, text/plain or nothing at all.
  if (options.jsonFields) return parseJsonFields(text, options.jsonFields);
  throw new ApiError('invalid_request', `invalid_request: The request body must be ${FORM_CONTENT_TYPE}.`);
}

function parseJsonFields(text: string, fields: readonly string[]): FormBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError('invalid_request', `invalid_request: The request body is neither ${FORM_CONTENT_TYPE} nor a JSON object.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ApiError('invalid_request', 'invalid_request: A JSON request body must be an object.');
  const out: FormBody = Object.create(null);
  for (const name of fields) {
    if (!Object.hasOwn(value, name)) continue;
    const field = (value as Record<string, unknown>)[name];
    // No coercion: a passcode sent as the number 12345 has lost its leading zero already.
    if (typeof field !== 'string') throw new ApiError('invalid_request', `invalid_request: JSON field "${name}" must be a string.`);
    out[name] = field;
  }
  return out;
}
