// Issue 14, item 4: the server's own event-loop delay (--event-loop-stats) under a mixed load on one
// store: status and exchange load, four clients paging through a 1 M-event audit log, and a
// `users import` running on the same SQLite file. Target: no delay above 5 ms.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Four clients paging through the auditor's history (200 events a page) until told to stop. */
async function queryAudit(server: RunningTarget, auditor: SeededUser, stopped: () => boolean): Promise<number> {
  let queries = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      for (let page = client; !stopped(); page += 4) {
        const res = await fetch(`http://127.0.0.1:${server.port}${MFA_BASE}/audit`, {
          method: 'POST',
          headers: { 'csp-auth-token': auditor.accessToken, 'content-type': 'application/json' },
          body: JSON.stringify({ startDate: 0, endDate: Date.now(), pageStart: 1 + (page % 49) * 200, pageLimit: 200 }),
        });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`audit query answered ${res.status}`);
        queries++;
      }
    }),
  );
  return queries;
}

export async function measureMixedLoad(p: Pinning, server: RunningTarget, plan: MixedPlan): Promise<void> {
  plan.log(`mixed load for ${plan.durationMs / 1000} s: status (8 connections) + exchange (4) + 4 audit clients + users import of ${fmt(plan.importUsers)}`);
  const common = { port: server.port, warmupMs: 0, durationMs: plan.durationMs, maxRequests: Number.MAX_SAFE_INTEGER };
  // The same server with no load first: what the machine's scheduler alone does to its loop (preemption by
  // other processes), so that the figures under load can be read against it.
  await readDelay(server);
  await new Promise((resolve) => setTimeout(resolve, IDLE_READING_MS));
  const idle = await readDelay(server);
  plan.log(`  idle server first (${IDLE_READING_MS / 1000} s, no load): event-loop delay p99 ${idle.p99Ms} ms, max ${idle.maxMs} ms`);
  let stopped = false;
  await readDelay(server); // starts the phase's histogram afresh
  const audit = queryAudit(server, plan.auditor, () => stopped);
  const imported = runImport(plan);
  const [status, exchange] = await Promise.all([
    generate(p, { ...common, path: STATUS_PATH, tokensFile: plan.tokensFile, connections: 8, serverPid: server.pid }),
    generate(p, { ...common, path: API_TOKEN_EXCHANGE_PATH, exchange: { apiTokensFile: plan.apiTokensFile }, connections: 4 }),
  ]);
  const delay = await readDelay(server);
  stopped = true;
  const auditQueries = await audit;
  plan.log(row('mixed: status', status));
  plan.log(row('mixed: exchange', exchange));
  plan.log(`  audit pages of 200 fetched: ${fmt(auditQueries)}; users import: ${await imported}`);
  plan.log(`  server event-loop delay: p50 ${delay.p50Ms} ms, p99 ${delay.p99Ms} ms, max ${delay.maxMs} ms (${fmt(delay.samples)} samples at 1 ms)`);
  plan.log(
    `${delay.maxMs <= TARGET_MAX_DELAY_MS ? 'PASS' : 'FAIL'}: event-loop delay under mixed load max ${delay.maxMs} ms, p99 ${delay.p99Ms} ms (target: max ≤ ${TARGET_MAX_DELAY_MS} ms)`,
  );
  if (status.non2xx + exchange.non2xx > 0) process.exitCode = 1;
}
