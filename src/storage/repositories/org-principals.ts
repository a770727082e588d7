// The org principals repository: an organization's principals with their MFA state, for the admin listing,
// the streamed report and the metrics. Reads only; the writes stay with the aggregates that own them.
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';

/** Which principals a listing keeps (see orgs/listing.ts for what each one means). */
export type MfaFilter = 'on' | 'off' | 'pending' | 'locked';

/** One principal with the MFA facts an admin sees; epoch milliseconds, null where there is nothing. */
export interface OrgPrincipalRow {
  id: string;
  orgId: string;
  username: string;
  domain: string;
  role: string;
  /** The later of its creation and the last admin reset (the start of its own grace period). */
  graceFrom: number;
  deviceName: string | null;
  activatedAt: number | null;
  turnedOn: boolean;
  lastUsedStep: number | null;
  periodSeconds: number | null;
  lockedUntil: number | null;
  recoveryCodesLeft: number;
  /** WebAuthn credentials (passkeys, security keys): each is active from its registration. */
  passkeyCount: number;
  /** The latest use of any of its passkeys (epoch ms), null when none was used. */
  passkeyLastUsedAt: number | null;
}

/** Where the previous page stopped: the last (username, id) it returned, and its org when listing every org. */
export interface ListingCursor {
  orgId?: string;
  username: string;
  id: string;
}

export interface ListingQuery {
  /** Undefined: every organization, in (org_id, username, id) order (the admin CLI). */
  orgId?: string;
  filter?: MfaFilter;
  /** Usernames beginning with this text (an index range, the same on both stores). */
  prefix?: string;
  after?: ListingCursor;
  limit: number;
  nowMs: number;
}

export interface OrgTotals {
  principals: number;
  on: number;
  pending: number;
  off: number;
  locked: number;
}

export interface OrgCoverage {
  orgId: string;
  principals: number;
  on: number;
}

const num = (v: unknown): number => Number(v ?? 0);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

type Joined = ExpressionBuilder<Database & { d: Database['mfa_devices']; l: Database['mfa_lockouts']; u: Database['users'] }, 'u' | 'd' | 'l'>;

/** Whether the principal has a passkey: one probe of the webauthn_credentials_user (user_id, created_at) index. */
const hasPasskey = (eb: Joined) => eb.exists(eb.selectFrom('webauthn_credentials as w').select('w.id').whereRef('w.user_id', '=', 'u.id'));

/**
 * The filter as a condition on the joined rows; the same definitions in the listing, the totals and the metric.
 * MFA is on as the status DTO says (docs/mfa.md): the activated TOTP device's switch, else while a passkey is
 * registered. `on`, `pending` and `off` split every principal: a pending TOTP device beside a passkey is `on`.
 */
function filterCondition(eb: Joined, filter: MfaFilter, nowMs: number) {
  switch (filter) {
    case 'on':
      return eb.or([eb.and([eb('d.activated_at', 'is not', null), eb('d.turned_on', '=', 1)]), eb.and([eb('d.activated_at', 'is', null), hasPasskey(eb)])]);
    case 'pending':
      return eb.and([eb('d.user_id', 'is not', null), eb('d.activated_at', 'is', null), eb.not(hasPasskey(eb))]);
    case 'off':
      return eb.or([eb.and([eb('d.user_id', 'is', null), eb.not(hasPasskey(eb))]), eb.and([eb('d.activated_at', 'is not', null), eb('d.turned_on', '=', 0)])]);
    case 'locked':
      return eb('l.locked_until', '>', nowMs);
  }
}

export type OrgPrincipalsRepository = ReturnType<typeof createOrgPrincipalsRepository>;

export function createOrgPrincipalsRepository(db: Kysely<Database>) {
  const joined = () =>
    db
      .selectFrom('users as u')
      .leftJoin('mfa_devices as d', 'd.user_id', 'u.id')
      .leftJoin('mfa_lockouts as l', 'l.user_id', 'u.id')
      .select((eb) => [
        'u.id',
        'u.org_id',
        'u.username',
        'u.domain',
        'u.role',
        'u.created_at',
        'u.mfa_grace_from',
        'd.device_name',
        'd.activated_at',
        'd.turned_on',
        'd.last_used_step',
        'd.period_seconds',
        'l.locked_until',
        eb
          .selectFrom('recovery_codes as r')
          .select((e) => e.fn.countAll().as('n'))
          .whereRef('r.user_id', '=', 'u.id')
          .where('r.used_at', 'is', null)
          .as('codes_left'),
        // Correlated reads of the principal's few passkeys through the webauthn_credentials_user index:
        // a page costs `limit` index probes, whatever its position.
        eb
          .selectFrom('webauthn_credentials as w')
          .select((e) => e.fn.countAll().as('n'))
          .whereRef('w.user_id', '=', 'u.id')
          .as('passkey_count'),
        eb
          .selectFrom('webauthn_credentials as w')
          .select((e) => e.fn.max('w.last_used_at').as('t'))
          .whereRef('w.user_id', '=', 'u.id')
          .as('passkey_last_used_at'),
      ]);

  const toRow = (r: any): OrgPrincipalRow => ({
    id: r.id,
    orgId: r.org_id,
    username: r.username,
    domain: r.domain,
    role: r.role,
    graceFrom: Math.max(num(r.created_at), num(r.mfa_grace_from)),
    deviceName: r.device_name ?? null,
    activatedAt: numOrNull(r.activated_at),
    turnedOn: Number(r.turned_on) === 1,
    lastUsedStep: numOrNull(r.last_used_step),
    periodSeconds: numOrNull(r.period_seconds),
    lockedUntil: numOrNull(r.locked_until),
    recoveryCodesLeft: num(r.codes_left),
    passkeyCount: num(r.passkey_count),
    passkeyLastUsedAt: numOrNull(r.passkey_last_used_at),
  });

  return {
    /**
     * One page in (username, id) order, after the cursor: the users_org_listing index is walked from the
     * cursor and the walk stops at `limit` rows, so a page costs the same at the first or the millionth row.
     */
    async listPage(q: ListingQuery): Promise<OrgPrincipalRow[]> {
      let query = q.orgId === undefined ? joined() : joined().where('u.org_id', '=', q.orgId);
      if (q.prefix) query = query.where('u.username', '>=', q.prefix).where('u.username', '<', `${q.prefix}\uffff`);
      const after = q.after;
      // A row-value comparison, not `a > x OR (a = x AND b > y)`: both stores turn it into one index range seek.
      if (after) {
        query =
          q.orgId !== undefined || after.orgId === undefined
            ? query.where((eb) => eb(eb.refTuple('u.username', 'u.id'), '>', eb.tuple(after.username, after.id)))
            : query.where((eb) => eb(eb.refTuple('u.org_id', 'u.username', 'u.id'), '>', eb.tuple(after.orgId as string, after.username, after.id)));
      }
      const filter = q.filter;
      if (filter) query = query.where((eb) => filterCondition(eb as unknown as Joined, filter, q.nowMs));
      const rows = await query.orderBy('u.org_id').orderBy('u.username').orderBy('u.id').limit(q.limit).execute();
      return rows.map(toRow);
    },

    async findByUsername(orgId: string, username: string, domain: string): Promise<OrgPrincipalRow | undefined> {
      const row = await joined()
        .where('u.org_id', '=', orgId)
        .where('u.username', '=', username)
        .where('u.domain', '=', domain)
        .orderBy('u.id')
        .executeTakeFirst();
      return row && toRow(row);
    },

    /** The principal's newest MFA audit events (the (user_id, event_date, seq) index, read backwards). */
    async recentAuditEvents(userId: string, limit: number): Promise<{ action: string; deviceName: string | null; modifiedBy: string; eventDate: number }[]> {
      const rows = await db
        .selectFrom('audit_events')
        .select(['action', 'device_name', 'modified_by', 'event_date'])
        .where('user_id', '=', userId)
        .orderBy('event_date', 'desc')
        .orderBy('seq', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ action: r.action, deviceName: r.device_name, modifiedBy: r.modified_by, eventDate: Number(r.event_date) }));
    },

    /** The organization's counts in one aggregate read. */
    async totals(orgId: string, nowMs: number): Promise<OrgTotals> {
      const row = await db
        .selectFrom('users as u')
        .leftJoin('mfa_devices as d', 'd.user_id', 'u.id')
        .leftJoin('mfa_lockouts as l', 'l.user_id', 'u.id')
        .select((eb) => {
          const count = (filter: MfaFilter) =>
            eb.fn.sum<number>(
              eb
                .case()
                .when(filterCondition(eb as unknown as Joined, filter, nowMs))
                .then(1)
                .else(0)
                .end(),
            );
          return [
            eb.fn.countAll<number>().as('principals'),
            count('on').as('on'),
            count('pending').as('pending'),
            count('off').as('off'),
            count('locked').as('locked'),
          ];
        })
        .where('u.org_id', '=', orgId)
        .executeTakeFirstOrThrow();
      return { principals: num(row.principals), on: num(row.on), pending: num(row.pending), off: num(row.off), locked: num(row.locked) };
    },

    /** Principals and principals with MFA on, per organization (at most `maxOrgs`, largest first): the coverage metric. */
    async coverageByOrg(maxOrgs: number): Promise<OrgCoverage[]> {
      const rows = await db
        .selectFrom('users as u')
        .leftJoin('mfa_devices as d', 'd.user_id', 'u.id')
        .select((eb) => [
          'u.org_id',
          eb.fn.countAll<number>().as('principals'),
          eb.fn
            .sum<number>(
              eb
                .case()
                .when(filterCondition(eb as unknown as Joined, 'on', 0))
                .then(1)
                .else(0)
                .end(),
            )
            .as('on'),
        ])
        .groupBy('u.org_id')
        .orderBy(sql`count(*)`, 'desc')
        .limit(maxOrgs)
        .execute();
      return rows.map((r) => ({ orgId: r.org_id, principals: num(r.principals), on: num(r.on) }));
    },

    /** Principals whose MFA verification is locked at `nowMs` (an index range on locked_until). */
    async countLocked(nowMs: number): Promise<number> {
      const row = await db
        .selectFrom('mfa_lockouts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('locked_until', '>', nowMs)
        .executeTakeFirstOrThrow();
      return num(row.n);
    },
  };
}
