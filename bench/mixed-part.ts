// Issue 14, item 4: the server's own event-loop delay (--event-loop-stats) under a mixed load on one
// store: status and exchange load, four clients paging through a 1 M-event audit log, and a
// `users import` running on the same SQLite file. Target: no delay above 5 ms. Read twice: a closed loop that
// saturates the core, and an open loop at half its rates (requests on a schedule), which is the reading that
// says whether any single piece of work holds the loop; the idle server's reading comes first.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { API_TOKEN_EXCHANGE_PATH, MFA_BASE } from '../src/paths.js';
import { EVENT_LOOP_DELAY_PATH } from '../src/ops/event-loop-delay.js';
import { fmt, generate, row } from './measure.js';
import type { SeededUser } from './seed.js';
import { type Pinning, type RunningTarget, STATUS_PATH } from './targets.js';

export const TARGET_MAX_DELAY_MS = 5;
/** How long the server is watched without load before the mixed load starts. */
const IDLE_READING_MS = 3000;
/** The mixed server's per-principal limit: still checked on every request, high enough for the audit clients. */
export const MIXED_RATE_LIMIT_PER_MINUTE = 1_000_000;

export interface MixedPlan {
  dir: string;
  file: string;
  /** The built tree whose `users import` runs (the server's). */
  tree: string;
  tokensFile: string;
  apiTokensFile: string;
  /** Owns the seeded audit history. */
  auditor: SeededUser;
  importUsers: number;
  durationMs: number;
  log(line?: string): void;
}

interface DelayFigures {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const readDelay = async (server: RunningTarget): Promise<DelayFigures> =>
  (await (await fetch(`http://127.0.0.1:${server.port}${EVENT_LOOP_DELAY_PATH}`, { method: 'POST' })).json()) as DelayFigures;

/** `users import` of N new users in a process of its own, against the server's store. */
function runImport(plan: MixedPlan): Promise<string> {
  const file = join(plan.dir, 'import.jsonl');
  writeFileSync(file, Array.from({ length: plan.importUsers }, (_, i) => `{"username":"import-${Date.now()}-${i}"}\n`).join(''));
  const bin = join(plan.tree, 'bin', 'principal-mfa');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'users', 'import', '--file', file, '--database', `sqlite:${plan.file}`, '--json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').pop() ?? '') : reject(new Error(`users import exited with ${code}`))));
  });
}

const auditPage = async (server: RunningTarget, auditor: SeededUser, page: number): Promise<void> => {
  const res = await fetch(`http://127.0.0.1:${server.port}${MFA_BASE}/audit`, {
    method: 'POST',
    headers: { 'csp-auth-token': auditor.accessToken, 'content-type': 'application/json' },
    body: JSON.stringify({ startDate: 0, endDate: Date.now(), pageStart: 1 + (page % 49) * 200, pageLimit: 200 }),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`audit query answered ${res.status}`);
};

/** Four clients paging through the auditor's history (200 events a page) until told to stop. */
async function queryAudit(server: RunningTarget, auditor: SeededUser, stopped: () => boolean): Promise<number> {
  let queries = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      for (let page = client; !stopped(); page += 4) {
        await auditPage(server, auditor, page);
        queries++;
      }
    }),
  );
  return queries;
}

/**
 * Open loop: pages fall due every 1/rate s on a schedule, whether or not earlier ones were answered; at most four
 * in flight (the closed loop's four clients), a page due while four are running goes out when one returns.
 */
async function queryAuditAtRate(server: RunningTarget, auditor: SeededUser, pagesPerSecond: number, stopped: () => boolean): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  let due = 0;
  let sent = 0;
  while (!stopped()) {
    due = Math.floor(((performance.now() - start) / 1000) * pagesPerSecond);
    while (sent < due && inFlight.size < 4) {
      const page = auditPage(server, auditor, sent++).finally(() => inFlight.delete(page));
      inFlight.add(page);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  return sent;
}

interface Rates {
  statusRps: number;
  exchangeRps: number;
  auditPagesPerSecond: number;
}

/** One phase of the mixed load: closed loop (each client sends when answered) or, with `rates`, open loop. */
async function runPhase(p: Pinning, server: RunningTarget, plan: MixedPlan, rates?: Rates) {
  const common = { port: server.port, warmupMs: 0, durationMs: plan.durationMs, maxRequests: Number.MAX_SAFE_INTEGER };
  let stopped = false;
  await readDelay(server); // starts the phase's histogram afresh
  const audit = rates ? queryAuditAtRate(server, plan.auditor, rates.auditPagesPerSecond, () => stopped) : queryAudit(server, plan.auditor, () => stopped);
  const imported = runImport(plan);
  // Awaited below: a failure there must not end the bench before its servers are stopped (an unhandled rejection would).
  for (const work of [audit, imported]) work.catch(() => undefined);
  // Open loop: up to 32 and 16 requests in flight, so that a stall shows as latency instead of a slower schedule.
  const [status, exchange] = await Promise.all([
    generate(p, {
      ...common,
      path: STATUS_PATH,
      tokensFile: plan.tokensFile,
      connections: rates ? 32 : 8,
      serverPid: server.pid,
      ...(rates && { ratePerSecond: rates.statusRps }),
    }),
    generate(p, {
      ...common,
      path: API_TOKEN_EXCHANGE_PATH,
      exchange: { apiTokensFile: plan.apiTokensFile },
      connections: rates ? 16 : 4,
      ...(rates && { ratePerSecond: rates.exchangeRps }),
    }),
  ]);
  const delay = await readDelay(server);
  stopped = true;
  return { status, exchange, delay, auditPages: await audit, imported: await imported };
}

const verdict = (delay: DelayFigures, what: string) =>
  `${delay.maxMs <= TARGET_MAX_DELAY_MS ? 'PASS' : 'FAIL'}: event-loop delay under mixed load, ${what}: max ${delay.maxMs} ms, p99 ${delay.p99Ms} ms (target: max ≤ ${TARGET_MAX_DELAY_MS} ms)`;

export async function measureMixedLoad(p: Pinning, server: RunningTarget, plan: MixedPlan): Promise<void> {
  const seconds = plan.durationMs / 1000;
  plan.log(`mixed load for ${seconds} s: status (8 connections) + exchange (4) + 4 audit clients + users import of ${fmt(plan.importUsers)}`);
  // The same server with no load first: what the machine's scheduler alone does to its loop (preemption by
  // other processes), so that the figures under load can be read against it.
  await readDelay(server);
  await new Promise((resolve) => setTimeout(resolve, IDLE_READING_MS));
  const idle = await readDelay(server);
  plan.log(`  idle server first (${IDLE_READING_MS / 1000} s, no load): event-loop delay p99 ${idle.p99Ms} ms, max ${idle.maxMs} ms`);

  // 1. Closed loop, saturating: every client sends its next request as soon as it is answered, so the core is
  // always oversubscribed and the delay timer measures the queue of requests in a loop turn.
  const closed = await runPhase(p, server, plan);
  plan.log(row('mixed: status', closed.status));
  plan.log(row('mixed: exchange', closed.exchange));
  plan.log(`  audit pages of 200 fetched: ${fmt(closed.auditPages)}; users import: ${closed.imported}`);
  plan.log(
    `  server event-loop delay: p50 ${closed.delay.p50Ms} ms, p99 ${closed.delay.p99Ms} ms, max ${closed.delay.maxMs} ms (${fmt(closed.delay.samples)} samples at 1 ms)`,
  );

  // 2. Open loop at half of what the closed loop achieved: the same mix sent on a schedule, so the core has room
  // and a long delay can only come from one piece of work holding the loop (or the machine taking the core).
  const rates: Rates = {
    statusRps: Math.max(1, Math.round(closed.status.rps / 2)),
    exchangeRps: Math.max(1, Math.round(closed.exchange.rps / 2)),
    auditPagesPerSecond: Math.max(1, Math.round(closed.auditPages / seconds / 2)),
  };
  plan.log(
    `mixed load, open loop at half those rates for ${seconds} s: status ${fmt(rates.statusRps)}/s + exchange ${fmt(rates.exchangeRps)}/s + audit ${fmt(rates.auditPagesPerSecond)} pages/s + users import of ${fmt(plan.importUsers)}`,
  );
  const open = await runPhase(p, server, plan, rates);
  for (const [name, result] of [
    ['open: status', open.status],
    ['open: exchange', open.exchange],
  ] as const)
    plan.log(
      `${row(name, result)}  (offered ${fmt(result.offeredRps ?? 0)}/s, ${fmt(result.queuedRequests ?? 0)} waited for a connection, ${fmt(result.unansweredAtEnd ?? 0)} unanswered at the end)`,
    );
  plan.log(`  audit pages of 200 fetched: ${fmt(open.auditPages)}; users import: ${open.imported}`);
  plan.log(
    `  server event-loop delay: p50 ${open.delay.p50Ms} ms, p99 ${open.delay.p99Ms} ms, max ${open.delay.maxMs} ms (${fmt(open.delay.samples)} samples at 1 ms)`,
  );

  plan.log(`  idle (no load): event-loop delay p99 ${idle.p99Ms} ms, max ${idle.maxMs} ms (the machine's own share; no target)`);
  plan.log(verdict(closed.delay, 'closed loop, saturating (the core oversubscribed: measures queueing)'));
  plan.log(verdict(open.delay, 'open loop at half the saturating rate (what "nothing blocks the loop" means)'));
  if (closed.status.non2xx + closed.exchange.non2xx + open.status.non2xx + open.exchange.non2xx > 0) process.exitCode = 1;
}
