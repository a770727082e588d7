// The organization's MFA coverage report, streamed as CSV or JSON: totals first, then one principal at a time.
import { Readable } from 'node:stream';
import type { Store } from '../storage/database.js';
import type { OrgPrincipalDto } from './dtos.js';
import { toTotalsDto, walkOrgPrincipals } from './listing.js';

export type ReportFormat = 'csv' | 'json';

export const CSV_COLUMNS = [
  'username',
  'domain',
  'role',
  'activated',
  'turnedOn',
  'pending',
  'authenticatorCount',
  'authenticatorTypes',
  'recoveryCodesLeft',
  'lockedUntil',
  'lastMfaUse',
  'enrolmentDueAt',
  'exempt',
] as const;

/** RFC 4180 quoting, and a leading quote for cells a spreadsheet would run as a formula (OWASP CSV injection). */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = Array.isArray(value) ? value.join(' ') : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const toIso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function csvLine(p: OrgPrincipalDto): string {
  const cells = CSV_COLUMNS.map((c) => {
    const v = p[c];
    return c === 'lockedUntil' || c === 'lastMfaUse' || c === 'enrolmentDueAt' ? csvCell(toIso(v as number | null)) : csvCell(v);
  });
  return `${cells.join(',')}\r\n`;
}

/**
 * The report as a stream that pulls the next keyset page only when the client has read the previous one
 * (Readable.from honours back-pressure), so memory holds about one page whatever the organization's size.
 * CSV: one row per principal (the totals are the JSON format's and the `/principals` filters'); JSON: one
 * object {orgId, generatedAt, totals, principals: [...]}.
 */
export function streamOrgReport(deps: { store: Store; nowMs: number }, orgId: string, format: ReportFormat): Readable {
  async function* lines(): AsyncGenerator<string> {
    if (format === 'csv') {
      yield `${CSV_COLUMNS.join(',')}\r\n`;
      for await (const p of walkOrgPrincipals(deps, orgId)) yield csvLine(p);
      return;
    }
    const totals = toTotalsDto(await deps.store.orgPrincipals.totals(orgId, deps.nowMs));
    yield `{"orgId":${JSON.stringify(orgId)},"generatedAt":${deps.nowMs},"totals":${JSON.stringify(totals)},"principals":[`;
    let first = true;
    for await (const p of walkOrgPrincipals(deps, orgId)) {
      yield `${first ? '' : ','}${JSON.stringify(p)}`;
      first = false;
    }
    yield ']}';
  }
  return Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 });
}
