// principal-mfa users import --file users.jsonl: one user per line, streamed in bounded memory,
// inserted in batches inside transactions, idempotent (an existing username is left as it is).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { passwordHashProblem } from '../principals/passwords.js';
import { isValidOrgId, isValidUsername, ORG_ID_RULE, USERNAME_RULE } from '../principals/names.js';
import { DEFAULT_DOMAIN, DEFAULT_ORG } from '../principals/users.js';
import type { Store } from '../storage/database.js';
import type { ImportedUser } from '../storage/repositories/principals.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, requireString, withStore } from './common.js';

const FIELDS = new Set(['username', 'org', 'passwordHash']);
/** Rows per transaction: large enough to amortise the commit, small enough to bound memory. */
export const BATCH_ROWS = 1000;
const PROGRESS_EVERY_MS = 250;

export interface ImportSummary {
  file: string;
  lines: number;
  imported: number;
  existing: number;
  invalid: number;
  seconds: number;
}

/**
 * A time-ordered UUID (version 7, RFC 9562). Random v4 ids scatter a million inserts over the whole
 * primary-key index, and every batch rewrites most of its pages (gigabytes of WAL for a million
 * users); time-ordered ids append at the index's end instead.
 */
export function uuidV7(nowMs: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = 0x70 | ((bytes[6] as number) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A parsed line, or the reason it is refused. */
export function parseUserLine(line: string): { row: ImportedUser } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: 'not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'not a JSON object' };
  const record = value as Record<string, unknown>;
  // Unknown fields are refused rather than ignored: a "password" in clear text must not pass silently.
  const unknown = Object.keys(record).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) return { error: `unknown field ${JSON.stringify(unknown[0])} (allowed: username, org, passwordHash)` };
  const { username, org = DEFAULT_ORG, passwordHash = null } = record;
  if (!isValidUsername(username)) return { error: `username must be ${USERNAME_RULE}` };
  if (!isValidOrgId(org)) return { error: `org must be ${ORG_ID_RULE}` };
  if (passwordHash !== null) {
    const problem = typeof passwordHash === 'string' ? passwordHashProblem(passwordHash) : 'passwordHash must be a string';
    if (problem) return { error: problem };
  }
  return { row: { username, domain: DEFAULT_DOMAIN, orgId: org, passwordHash: passwordHash as string | null } };
}

/** Inserts the rows that are new; returns how many were inserted. One transaction per call. */
export async function insertNewUsers(store: Store, rows: ImportedUser[], nowMs: number): Promise<number> {
  return store.transaction((tx) => tx.principals.insertNewLocal(rows, nowMs, () => uuidV7(Date.now())));
}

function formatProgress(lines: number, elapsedMs: number, bytesRead: number, totalBytes: number): string {
  const rate = elapsedMs > 0 ? Math.round((lines / elapsedMs) * 1000) : 0;
  const byteRate = elapsedMs > 0 ? bytesRead / elapsedMs : 0;
  const etaSeconds = byteRate > 0 ? Math.ceil((totalBytes - bytesRead) / byteRate / 1000) : undefined;
  const percent = totalBytes > 0 ? Math.floor((bytesRead / totalBytes) * 100) : 100;
  return `\r${lines.toLocaleString('en')} lines (${percent}%), ${rate.toLocaleString('en')} lines/s, ETA ${etaSeconds === undefined ? '?' : `${etaSeconds}s`}   `;
}

export async function importUsersCommand(args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, { file: { type: 'string' } });
  const file = requireString(values, 'file');
  const totalBytes = await stat(file).then(
    (s) => s.size,
    (error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read --file ${file}: ${error.code ?? error.message}`);
    },
  );
  const showProgress = (io.stderr as NodeJS.WriteStream).isTTY === true;
  const startedAt = Date.now();
  const summary: ImportSummary = { file, lines: 0, imported: 0, existing: 0, invalid: 0, seconds: 0 };

  await withStore(values, io, async (store) => {
    const input = createReadStream(file);
    // crlfDelay: Infinity treats \r\n as one line break, so files from Windows import the same.
    const lines = createInterface({ input, crlfDelay: Infinity });
    let batch: ImportedUser[] = [];
    let lastProgress = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const inserted = await insertNewUsers(store, batch, clock.now());
      summary.imported += inserted;
      summary.existing += batch.length - inserted;
      batch = [];
    };
    for await (const line of lines) {
      summary.lines++;
      if (line.trim() === '') continue;
      const parsed = parseUserLine(line);
      if ('error' in parsed) {
        summary.invalid++;
        io.stderr.write(`${showProgress ? '\r\x1b[K' : ''}line ${summary.lines}: ${parsed.error}\n`);
      } else {
        batch.push(parsed.row);
        if (batch.length >= BATCH_ROWS) await flush();
      }
      if (showProgress && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        io.stderr.write(formatProgress(summary.lines, lastProgress - startedAt, input.bytesRead, totalBytes));
      }
    }
    await flush();
    if (showProgress) io.stderr.write(`${formatProgress(summary.lines, Date.now() - startedAt, totalBytes, totalBytes)}\n`);
  });

  summary.seconds = Math.round((Date.now() - startedAt) / 100) / 10;
  printResult(
    io,
    values,
    summary,
    `imported ${summary.imported} users, ${summary.existing} already existed, ${summary.invalid} bad lines (${summary.lines} lines in ${summary.seconds}s)`,
  );
  // The good lines are in; a non-zero exit still tells scripts that some lines need fixing.
  if (summary.invalid > 0) throw new CliError(`${summary.invalid} bad line(s) skipped; see the messages above`);
}
