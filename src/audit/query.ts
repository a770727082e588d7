// Reading the principal's MFA audit log (CSP's PrincipalMfaAuditLogRequest), with every 400 rule.
import type { Clock } from '../clock.js';
import { ApiError } from '../errors.js';
import type { Store } from '../storage/database.js';
import { AUDIT_ACTIONS, type AuditAction } from './record.js';

export interface AuditLogRequest {
  startDate: number;
  endDate: number;
  actions?: string[];
  deviceNames?: string[];
  eventIds?: string[];
  pageStart?: number;
  pageLimit?: number;
}

export interface MfaAuditLogDto {
  action: string;
  details: { deviceName?: string };
  eventDate: number;
  eventId: string;
  modifiedBy: string;
  username: string;
}

export interface PagedAuditLog {
  itemsPerPage: number;
  results: MfaAuditLogDto[];
  startIndex: number;
  totalResults: number;
}

export const AUDIT_PAGING = { defaultLimit: 20, maxLimit: 200, maxFilterValues: 20 } as const;
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

/** The rules of CSP's reference page, checked before any query. Returns the effective paging. */
export function validateAuditRequest(request: AuditLogRequest, nowMs: number): { pageStart: number; pageLimit: number } {
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
  if (!Number.isSafeInteger(pageStart) || pageStart < 1 || pageStart > 2 ** 31 - 1) refuse('pageStart must be an integer from 1.');
  if (!Number.isSafeInteger(pageLimit) || pageLimit < 1 || pageLimit > AUDIT_PAGING.maxLimit) refuse(`pageLimit must be an integer from 1 to ${AUDIT_PAGING.maxLimit}.`);
  return { pageStart, pageLimit };
}

/**
 * The principal's events in [startDate, endDate], newest first. pageStart is the 1-based index of
 * the first result (echoed as startIndex, as in SCIM-style paged responses), pageLimit the page size.
 */
export async function queryAuditLog(store: Store, clock: Clock, user: { id: string }, request: AuditLogRequest): Promise<PagedAuditLog> {
  const { pageStart, pageLimit } = validateAuditRequest(request, clock.now());
  let base = store.db
    .selectFrom('audit_events')
    .where('user_id', '=', user.id)
    .where('event_date', '>=', request.startDate)
    .where('event_date', '<=', request.endDate);
  if (request.actions?.length) base = base.where('action', 'in', request.actions as AuditAction[]);
  if (request.deviceNames?.length) base = base.where('device_name', 'in', request.deviceNames);
  if (request.eventIds?.length) base = base.where('event_id', 'in', request.eventIds);
  const [count, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    base
      .select(['event_id', 'username', 'action', 'device_name', 'modified_by', 'event_date'])
      .orderBy('event_date', 'desc')
      .orderBy('seq', 'desc')
      .limit(pageLimit)
      .offset(pageStart - 1)
      .execute(),
  ]);
  return {
    itemsPerPage: pageLimit,
    startIndex: pageStart,
    totalResults: Number(count.total),
    results: rows.map((r) => ({
      action: r.action,
      details: r.device_name === null ? {} : { deviceName: r.device_name },
      eventDate: Number(r.event_date),
      eventId: r.event_id,
      modifiedBy: r.modified_by,
      username: r.username,
    })),
  };
}
