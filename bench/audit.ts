// `npm run bench:audit`: the audit log of one principal with 1,000,000 events, on SQLite. Prints what each
// audit statement would cost if it ran on the event loop, then what the running server does: another
// user's status latency and the event loop's delay while audit queries (and a purge) run. Not a test.
import { randomBytes, randomUUID } from 'node:crypto';
import { type AuditRow, auditInserter, seedAuditHistory } from './seed-audit.js';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createAuditExecutor } from '../src/audit/executor.js';
import type { AuditLogRequest } from '../src/audit/query.js';
import { recordAuditEvent } from '../src/audit/record.js';
import { purgeAuditEventsBefore } from '../src/audit/retention.js';
import { buildApp } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { DEFAULTS } from '../src/config.js';
import { createUser, userSubject, type User } from '../src/principals/users.js';
import { createServices } from '../src/services.js';
import { countQuery, keyAtQuery, pageQuery } from '../src/storage/audit-log.js';
import { openStore } from '../src/storage/database.js';
import { USER_PERMS } from '../src/tokens/access-tokens.js';
import { kyselyOf, sqliteOf } from '../src/storage/internal.js';

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, dir: { type: 'string', default: '.bench' } }, strict: true });
const events = Number(args.events);
const dir = resolve(import.meta.dirname, '..', args.dir as string);
const file = join(dir, 'audit.db');
const log = (line = '') => process.stdout.write(`${line}\n`);
const DAY_MS = 86_400_000;
const EXPIRED = 50_000;

mkdirSync(dir, { recursive: true });
for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
const store = await openStore(`sqlite:${file}`);
const sqlite = sqliteOf(store)!;
// The bulk load below goes through the raw handle, past the store's background checkpointer: SQLite's own default.
sqlite.pragma('wal_autocheckpoint = 1000');
const now = Date.now();
const victim = await createUser(store, systemClock, { username: 'victim' });
const bystander = await createUser(store, systemClock, { username: 'bystander' });

// The victim: one event a second for `events` seconds (seed-audit.ts); other principals 100,000 events;
// and EXPIRED events of a principal older than the retention, for the purge.
const insertMany = auditInserter(sqlite);
const seedStarted = Date.now();
sqlite.pragma('synchronous = OFF');
seedAuditHistory(sqlite, victim, events, now);
const others = Array.from({ length: 100_000 }, (_, i): AuditRow => [`other-${i % 1000}`, 'other', 'MFA_ENABLE', null, now - i * 7000]);
insertMany(others);
insertMany(Array.from({ length: EXPIRED }, (_, i): AuditRow => ['expired', 'expired', 'MFA_ENABLE', null, now - 500 * DAY_MS - i]));
sqlite.pragma('synchronous = NORMAL');
sqlite.pragma('wal_checkpoint(TRUNCATE)');
log(
  `seeded ${events.toLocaleString('en')} events for one principal (+${(100_000 + EXPIRED).toLocaleString('en')} others) in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s`,
);

// 1. Each statement timed on the main connection: what it would cost on the event loop.
const all: AuditLogRequest = { startDate: 0, endDate: now };
const rare: AuditLogRequest = { ...all, actions: ['MFA_DISABLE'] };
const mid = { eventDate: now - Math.floor(events / 2) * 1000, seq: Number.MAX_SAFE_INTEGER };
const shapes: [string, { compile(): { sql: string; parameters: readonly unknown[] } }, string][] = [
  ['count, capped at 10,000 (no filter)', countQuery(kyselyOf(store), victim.id, all, 10_000), 'worker'],
  ['first page of 200 (seek from the newest)', pageQuery(kyselyOf(store), victim.id, all, undefined, 200), 'worker'],
  ['page of 200 from a cursor half-way down', pageQuery(kyselyOf(store), victim.id, all, mid, 200), 'worker'],
  ['key at position 10,000 (a jump, no cursor)', keyAtQuery(kyselyOf(store), victim.id, all, 10_000), 'worker'],
  [
    'eventIds filter (20 ids)',
    pageQuery(kyselyOf(store), victim.id, { ...all, eventIds: Array.from({ length: 20 }, () => randomUUID()) }, undefined, 20),
    'worker',
  ],
  ['count with a rare action filter (scans the range)', countQuery(kyselyOf(store), victim.id, rare, 10_000), 'worker'],
  ['page with a rare action filter (scans the range)', pageQuery(kyselyOf(store), victim.id, rare, undefined, 20), 'worker'],
];
function timeMs(run: () => unknown, times = 7): { median: number; max: number } {
  run();
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(times / 2)]!, max: samples.at(-1)! };
}
log('\nstatement (timed on the main connection) | median ms | max ms | where it runs');
log('--- | ---: | ---: | ---');
for (const [name, query, where] of shapes) {
  const { sql, parameters } = query.compile();
  const statement = sqlite.prepare(sql);
  const t = timeMs(() => statement.all(...parameters));
  log(`${name} | ${t.median.toFixed(2)} | ${t.max.toFixed(2)} | ${where}`);
}
const insertTime = timeMs(
  () => recordAuditEvent(store, { user: victim, action: 'AUTHENTICATION_WITHOUT_MFA', modifiedBy: victim.username, eventDate: Date.now() }),
  201,
);
log(`insert one event (every exchange) | ${insertTime.median.toFixed(2)} | ${insertTime.max.toFixed(2)} | event loop`);

// 2. The running server: the bystander's status while the victim's audit log is queried and purged.
const config = Object.freeze({ ...DEFAULTS, databaseUrl: `sqlite:${file}`, rateLimitPerMinute: 1_000_000, auditRetentionDays: 0 });
const services = await createServices(config, { store, masterKey: randomBytes(32) });
const app = await buildApp(services);
const base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
const tokenFor = (user: User) =>
  services.issuer.mint({ sub: userSubject(user), username: user.username, domain: user.domain, orgId: user.orgId, perms: USER_PERMS, azp: 'bench' });
const [victimToken, bystanderToken] = [await tokenFor(victim), await tokenFor(bystander)];
const statusMs = async () => {
  const started = performance.now();
  const res = await fetch(`${base}/csp/gateway/iam/vmwid/api/principal/mfa/status`, { headers: { 'csp-auth-token': bystanderToken } });
  await res.arrayBuffer();
  return performance.now() - started;
};
const audit = async (body: Record<string, unknown>) => {
  const res = await fetch(`${base}/csp/gateway/iam/vmwid/api/principal/mfa/audit`, {
    method: 'POST',
    headers: { 'csp-auth-token': victimToken, 'content-type': 'application/json' },
    body: JSON.stringify({ startDate: 0, endDate: now, ...body }),
  });
  await res.arrayBuffer();
  return res.status;
};

/** 300 sequential status requests of the bystander while `background` runs (until told to stop). */
async function phase(name: string, background?: (stopped: () => boolean) => Promise<unknown>): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let stopped = false;
  const load = background?.(() => stopped);
  delay.enable();
  const samples: number[] = [];
  for (let i = 0; i < 300; i++) samples.push(await statusMs());
  delay.disable();
  stopped = true;
  await load;
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.floor(p * (samples.length - 1))]!.toFixed(2);
  log(`${name} | ${q(0.5)} | ${q(0.99)} | ${(delay.percentile(99) / 1e6).toFixed(1)} | ${(delay.max / 1e6).toFixed(1)}`);
}
const clients = (request: () => Promise<unknown>) => (stopped: () => boolean) =>
  Promise.all(
    Array.from({ length: 4 }, async () => {
      while (!stopped()) await request();
    }),
  );
let pageStart = 1;
log('\nwhile … | bystander status p50 ms | p99 ms | event-loop delay p99 ms | max ms');
log('--- | ---: | ---: | ---: | ---:');
await phase('nothing else runs');
await phase(
  "4 clients page through the victim's log (200 a page)",
  clients(() => audit({ pageStart: (pageStart = (pageStart % 9_801) + 200), pageLimit: 200 })),
);
await phase(
  '4 clients query it with a rare action filter',
  clients(() => audit({ actions: ['MFA_DISABLE'] })),
);
const purger = createAuditExecutor(store);
let purge = '';
await phase(`the purge deletes ${EXPIRED.toLocaleString('en')} expired events`, async () => {
  const started = Date.now();
  const deleted = await purgeAuditEventsBefore(store, purger, now - 400 * DAY_MS);
  purge = `purge: ${deleted.toLocaleString('en')} events in ${((Date.now() - started) / 1000).toFixed(1)} s`;
});
log(purge);
await purger.close();
await app.close();
await services.close();
