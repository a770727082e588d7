// An organization's principals one keyset page at a time, and every page in turn for the report.
import { ApiError } from '../errors.js';
import { readOrgPolicy } from '../orgs/policy-store.js';
import type { StoredPolicy } from '../orgs/policy.js';
import type { Store } from '../storage/database.js';
import type { ListingCursor, MfaFilter, OrgTotals } from '../storage/repositories/org-principals.js';
import type { OrgPrincipalDto, OrgTotalsDto } from './dtos.js';
import { toOrgPrincipalDto } from './principal-view.js';

export const MAX_PAGE_LIMIT = 1000;
export const DEFAULT_PAGE_LIMIT = 100;

export interface ListingInput {
  orgId: string;
  mfa?: MfaFilter;
  search?: string;
  pageStart?: string;
  pageLimit?: number;
}

/** The cursor is opaque to clients: base64url of [username, id] of the last row shown. */
export const encodeCursor = (c: ListingCursor): string => Buffer.from(JSON.stringify([c.username, c.id])).toString('base64url');

export function decodeCursor(text: string): ListingCursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') return { username: value[0], id: value[1] };
  } catch {
    // falls through to the refusal
  }
  throw new ApiError('invalid_request', 'pageStart is not a value this API returned as nextPageStart.');
}

export async function listOrgPrincipals(
  deps: { store: Store; nowMs: number },
  input: ListingInput,
  stored?: StoredPolicy,
): Promise<{ results: OrgPrincipalDto[]; nextPageStart: string | null }> {
  const policy = stored ?? (await readOrgPolicy(deps.store, input.orgId));
  const limit = input.pageLimit ?? DEFAULT_PAGE_LIMIT;
  const rows = await deps.store.orgPrincipals.listPage({
    orgId: input.orgId,
    filter: input.mfa,
    prefix: input.search || undefined,
    after: input.pageStart ? decodeCursor(input.pageStart) : undefined,
    // One more than asked tells whether another page exists without a count.
    limit: limit + 1,
    nowMs: deps.nowMs,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    results: page.map((row) => toOrgPrincipalDto(row, policy, deps.nowMs)),
    nextPageStart: rows.length > limit && last ? encodeCursor(last) : null,
  };
}

/** One principal of a walk: its organization with what an admin sees of it. */
export type WalkedPrincipal = OrgPrincipalDto & { orgId: string };

/**
 * Every principal of the organization (or of every organization), page after page, optionally filtered:
 * memory holds one page and the policies of the organizations seen, whatever the number of principals.
 */
export async function* walkPrincipals(
  deps: { store: Store; nowMs: number },
  scope: { orgId?: string; filter?: MfaFilter },
  pageSize = 1000,
): AsyncGenerator<WalkedPrincipal> {
  const policies = new Map<string, StoredPolicy | undefined>();
  let after: ListingCursor | undefined;
  for (;;) {
    const rows = await deps.store.orgPrincipals.listPage({ orgId: scope.orgId, filter: scope.filter, after, limit: pageSize, nowMs: deps.nowMs });
    for (const row of rows) {
      if (!policies.has(row.orgId)) policies.set(row.orgId, await readOrgPolicy(deps.store, row.orgId));
      yield { orgId: row.orgId, ...toOrgPrincipalDto(row, policies.get(row.orgId), deps.nowMs) };
    }
    const last = rows.at(-1);
    if (rows.length < pageSize || !last) return;
    after = { orgId: last.orgId, username: last.username, id: last.id };
  }
}

/** The organization's principals for the report, in the API's shape (no orgId: the report names it once). */
export async function* walkOrgPrincipals(deps: { store: Store; nowMs: number }, orgId: string): AsyncGenerator<OrgPrincipalDto> {
  for await (const { orgId: _org, ...principal } of walkPrincipals(deps, { orgId })) yield principal;
}

export function toTotalsDto(t: OrgTotals): OrgTotalsDto {
  return { ...t, coverageRatio: t.principals === 0 ? 1 : t.on / t.principals };
}
