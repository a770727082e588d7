// Request ids: 16 hex characters like CSP's, sent back as x-request-id and written in every log line.
import { randomBytes } from 'node:crypto';

// Draw entropy in blocks: one syscall per 4096 ids instead of one per request.
const BLOCK_IDS = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

export function generateRequestId(): string {
  if (offset >= pool.length) {
    pool = randomBytes(8 * BLOCK_IDS);
    offset = 0;
  }
  const id = pool.toString('hex', offset, offset + 8);
  offset += 8;
  return id;
}
