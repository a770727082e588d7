// Organization gauges, read from the store at scrape time: MFA coverage per organization and principals locked
// now. Not counted per request; one bounded read at most every CACHE_MS, whatever the scrape rate or copy count.
import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { OrgCoverage } from '../storage/repositories/org-principals.js';

/** What the gauges read: the store's orgPrincipals repository fits. */
export interface OrgCoverageSource {
  coverageByOrg(maxOrgs: number): Promise<OrgCoverage[]>;
  countLocked(nowMs: number): Promise<number>;
}

/** A scrape inside this window reuses the last read (the coverage read scans the users table once). */
export const CACHE_MS = 60_000;
/** Label cardinality stays bounded: the largest organizations only. */
export const MAX_ORGS = 200;

interface Snapshot {
  atMs: number;
  coverage: OrgCoverage[];
  locked: number;
}

export function registerOrgGauges(registry: Registry, source: OrgCoverageSource, clock: Clock, prefix: string): void {
  let last: Snapshot | undefined;
  let pending: Promise<Snapshot> | undefined;
  const read = async (): Promise<Snapshot> => {
    const nowMs = clock.now();
    if (last && nowMs - last.atMs < CACHE_MS) return last;
    // Two gauges collect in one scrape: they share one read.
    pending ??= (async () => {
      try {
        const [coverage, locked] = await Promise.all([source.coverageByOrg(MAX_ORGS), source.countLocked(nowMs)]);
        last = { atMs: nowMs, coverage, locked };
        return last;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  new Gauge({
    name: `${prefix}org_coverage_ratio`,
    help: `Share of an organization's principals with MFA on (the TOTP device activated and turned on, or passkeys only; the ${MAX_ORGS} largest organizations; read at most every ${CACHE_MS / 1000} s).`,
    labelNames: ['org'] as const,
    registers: [registry],
    async collect() {
      const { coverage } = await read();
      this.reset();
      for (const org of coverage) this.set({ org: org.orgId }, org.principals === 0 ? 1 : org.on / org.principals);
    },
  });
  new Gauge({
    name: `${prefix}principals_locked`,
    help: 'Principals whose MFA verification is locked out now.',
    registers: [registry],
    async collect() {
      this.set((await read()).locked);
    },
  });
}
