// The error contract every error response keeps: a complete CspErrorResponse, JSON, no-store,
// requestId equal to x-request-id, and never the presented token (or a part of it) in the body.
import assert from 'node:assert/strict';
import { expectCspError } from '../support/server.js';

/** Checks the whole error contract and returns the errorCode. */
export async function expectError(res: Response, status: number, secrets: string[] = []): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const requestId = res.headers.get('x-request-id');
  assert.match(requestId ?? '', /^[0-9a-f]{16}$/);
  const body = expectCspError(JSON.parse(text), status, requestId);
  assert.equal(typeof body.message, 'string');
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), 'the error body repeats the token');
    for (const part of secret.split('.')) if (part.length > 8) assert.ok(!text.includes(part), 'the error body repeats part of the token');
  }
  return body.errorCode;
}
