// Reading the principal's MFA audit log (CSP's PrincipalMfaAuditLogRequest), with every 400 rule.
import type { Clock } from '../clock.js';
import { ApiError } from '../errors.js';
import type { AuditEvent, AuditFilter } from '../storage/audit-log.js';
import type { MfaAuditLogDto, PagedAuditLog } from './dtos.js';
import type { AuditExecutor } from './executor.js';
import type { AuditKey, PageCursors } from './keyset.js';
import { AUDIT_ACTIONS } from './record.js';

export interface AuditLogRequest extends AuditFilter {
  pageStart?: number;
  pageLimit?: number;
}

/**
 * `maxResults` is the result window: totalResults counts no further than this, and pageStart may not go
 * beyond it (CSP: "page and size beyond the maximum records per fetch" is a 400). Older events are read
 * by moving endDate back (to the eventDate of the last result seen), which is itself a seek.
 */
export const AUDIT_PAGING = { defaultLimit: 20, maxLimit: 200, maxFilterValues: 20, maxResults: 10_000 } as const;
/** The largest instant a JavaScript Date can hold; anything beyond is not an epoch-ms date. */
const MAX_EPOCH_MS = 8.64e15;
const ACTIONS: ReadonlySet<string> = new Set(AUDIT_ACTIONS);

function refuse(message: string): never {
  throw new ApiError('invalid_audit_request', message);
}

function checkDate(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_EPOCH_MS) refuse(`${name} must be a date in epoch milliseconds.`);
}

function checkFilter(name: string, values: string[] | undefined): void {
  if (values && values.length > AUDIT_PAGING.maxFilterValues) refuse(`${name} may hold at most ${AUDIT_PAGING.maxFilterValues} values.`);
}

/**
 * The rules of CSP's reference page, checked before any query. Returns the effective paging: the 1-based
 * position of the first result (pageStart 0, CSP's own example, means the first result, as 1 does).
 */
export function validateAuditRequest(request: AuditLogRequest, nowMs: number): { startIndex: number; pageLimit: number } {
  checkDate('startDate', request.startDate);
  checkDate('endDate', request.endDate);
  if (request.endDate <= request.startDate) refuse('endDate must be after startDate.');
  if (request.startDate > nowMs) refuse('startDate must not be in the future.');
  const unsupported = request.actions?.find((a) => !ACTIONS.has(a));
  if (unsupported !== undefined) refuse(`Unsupported action "${unsupported.slice(0, 64)}"; use one of ${AUDIT_ACTIONS.join(', ')}.`);
  checkFilter('eventIds', request.eventIds);
  checkFilter('deviceNames', request.deviceNames);
  const pageStart = request.pageStart ?? 1;
  const pageLimit = request.pageLimit ?? AUDIT_PAGING.defaultLimit;
  if (!Number.isSafeInteger(pageStart) || pageStart < 0 || pageStart > AUDIT_PAGING.maxResults) {
    refuse(
      `pageStart must be an integer from 0 to ${AUDIT_PAGING.maxResults} (0 and 1 both mean the first result); to read further back, set endDate to the eventDate of the last result.`,
    );
  }
  if (!Number.isSafeInteger(pageLimit) || pageLimit < 1 || pageLimit > AUDIT_PAGING.maxLimit)
    refuse(`pageLimit must be an integer from 1 to ${AUDIT_PAGING.maxLimit}.`);
  return { startIndex: Math.max(1, pageStart), pageLimit };
}

export interface AuditLogReader {
  executor: AuditExecutor;
  cursors: PageCursors;
  clock: Clock;
}

/**
 * The principal's events in [startDate, endDate], newest first (then newest recorded first). startIndex
 * is the 1-based position of results[0]; totalResults counts at most AUDIT_PAGING.maxResults. Every
 * statement is an index range scan: a capped count, then a seek from where the previous page ended
 * (or, the first time a position is asked for, from the key found at that position).
 */
export async function queryAuditLog(reader: AuditLogReader, user: { id: string }, request: AuditLogRequest): Promise<PagedAuditLog> {
  const { startIndex, pageLimit } = validateAuditRequest(request, reader.clock.now());
  const totalResults = await reader.executor.countEvents(user.id, request, AUDIT_PAGING.maxResults);
  const page = { itemsPerPage: pageLimit, startIndex, totalResults, results: [] as MfaAuditLogDto[] };
  if (startIndex > totalResults) return page;

  let before: AuditKey | undefined;
  if (startIndex > 1) {
    before = reader.cursors.get(user.id, request, startIndex);
    if (!before) {
      before = await reader.executor.findKeyAt(user.id, request, startIndex - 1);
      if (!before) return page;
    }
  }
  // The window ends at maxResults: a page that would reach past it is cut there.
  const limit = Math.min(pageLimit, AUDIT_PAGING.maxResults - startIndex + 1);
  const events = await reader.executor.findPage(user.id, request, before, limit);
  const last = events.at(-1);
  if (last && events.length === limit) reader.cursors.set(user.id, request, startIndex + limit, { eventDate: last.eventDate, seq: last.seq });
  page.results = events.map(toDto);
  return page;
}

function toDto(e: AuditEvent): MfaAuditLogDto {
  return {
    action: e.action,
    details: e.deviceName === null ? {} : { deviceName: e.deviceName },
    eventDate: e.eventDate,
    eventId: e.eventId,
    modifiedBy: e.modifiedBy,
    username: e.username,
  };
}
