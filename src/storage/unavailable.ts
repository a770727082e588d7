// Whether an error means the database cannot be reached or cannot answer right now (a retry may succeed), as
// opposed to a fault in the request or the code. Read from the error's own fields, so nothing outside
// storage/ needs a driver to tell an outage from a bug.

/** Socket errors: the database server is down, restarting or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01–57P03 (shut down by an admin, crash, not yet
 * accepting connections), 53300 (too many connections), 57014 (query cancelled: our statement_timeout).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300|57014)$/;
/** node-postgres reports a lost or never-made connection, and its own query timeout, with plain Errors. */
const PG_CONNECTION_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|Connection ended)/;
/** SQLite: another process held the write lock past the busy timeout. */
const SQLITE_BUSY = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY']);

export function isStoreUnavailable(error: unknown): boolean {
  // Drivers and pools wrap: look a few causes deep, no further (a cycle must not loop).
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code) || SQLITE_BUSY.has(code))) return true;
    if (PG_CONNECTION_MESSAGE.test(e.message)) return true;
  }
  return false;
}
