// PostgreSQL text cannot hold a NUL character: a path parameter or query value carrying one (`%00`) would reach
// a query and come back as a driver error, a 500 (found by the fuzzer on PostgreSQL, seed 20261201). No name,
// id or filter of this API contains one, so it is refused up front as a malformed request, on both stores alike.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';

function holdsNul(values: unknown): boolean {
  if (!values || typeof values !== 'object') return false;
  for (const value of Object.values(values)) {
    if (typeof value === 'string' ? value.includes('\u0000') : Array.isArray(value) && value.some((v) => typeof v === 'string' && v.includes('\u0000')))
      return true;
  }
  return false;
}

export function refuseNulInParameters(app: FastifyInstance): void {
  // Callback style: runs on every request (the status route has neither parameters nor a query: two empty loops).
  app.addHook('preValidation', (request, _reply, done) => {
    if (holdsNul(request.params) || holdsNul(request.query))
      return done(new ApiError('invalid_request', 'Invalid request: a path parameter or query value holds a NUL character.'));
    done();
  });
}
