// PostgreSQL text cannot hold a NUL character: a path parameter or query value carrying one (`%00`) would reach
// a query and come back as a driver error, a 500 (found by the fuzzer on PostgreSQL, seed 20261201). No name,
// id or filter of this API contains one, so it is refused up front as a malformed request, on both stores alike.
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

function holdsNul(values: unknown): boolean {
  if (!values || typeof values !== 'object') return false;
  for (const value of Object.values(values)) {
    if (typeof value === 'string' ? value.includes('\u0000') : Array.isArray(value) && value.some((v) => typeof v === 'string' && v.includes('\u0000')))
      return true;
  }
  return false;
}

/**
 * The refusal of a request whose path parameters or query values hold a NUL character, else undefined. Called by
 * the app's one onRequest hook (routing has parsed both by then) rather than from a hook of its own: it runs on
 * every request. The HTTP parser refuses a raw NUL in the request line, so a NUL can only come from `%00`
 * decoded in a parameter or query value: a URL without `%00` needs no look at either (one search of a short string).
 */
export function nulInParameters(request: FastifyRequest): ApiError | undefined {
  if (!request.raw.url?.includes('%00')) return undefined;
  if (holdsNul(request.params) || holdsNul(request.query))
    return new ApiError('invalid_request', 'Invalid request: a path parameter or query value holds a NUL character.');
  return undefined;
}
