// Request validation: JSON bodies are taken at their JSON types; text-only parts (query string, path
// parameters, headers, form bodies) are read as their schemas say, as Fastify does by default.
import { AjvCompiler, type RouteDefinition, type ValidatorFactory } from '@fastify/ajv-compiler';
import { FORM_CONTENT_TYPE } from './form-body.js';

const buildFromPool = AjvCompiler();

/**
 * Fastify coerces types everywhere by default, so `{"turnedOn": null}`, `0`, `"false"` and `[false]`
 * all passed as `false`, and `{"deviceName": 123}` as a name. A JSON client sends types: a wrong one
 * is refused (400 invalid_request, "body/turnedOn must be boolean"). Only a body of a route that lists
 * the form content type for it is coerced, because every value of a form is text.
 */
const buildValidator: ValidatorFactory = (externalSchemas, options) => {
  const coercing = buildFromPool(externalSchemas, options);
  const strict = buildFromPool(externalSchemas, { ...options, mode: undefined, customOptions: { ...options?.customOptions, coerceTypes: false } });
  // Fastify passes the content type of each `content` entry of a body schema (not in the published type).
  return (route: RouteDefinition & { contentType?: string }) =>
    (route.httpPart === 'body' && route.contentType !== FORM_CONTENT_TYPE ? strict : coercing)(route);
};

/** The `schemaController` option of Fastify() that installs this validation. */
export const schemaController = { compilersFactory: { buildValidator } };
