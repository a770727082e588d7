// Issue 14, item 3: API-token exchanges per second on one core (SQLite), MFA off and with a TOTP passcode.
// Distinct API tokens in rotation keep each under --api-token-exchanges-per-minute (default 60) with no
// flag raised; TOTP principals are many enough that none is asked twice in one 30-second step.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timeStep } from '../src/mfa/totp.js';
import { API_TOKEN_EXCHANGE_PATH } from '../src/paths.js';
import type { LoadResult } from './load-generator.js';
import { cpuMicros, fmt, generate, median, row } from './measure.js';
import type { SeededExchange } from './seed-exchange.js';
import type { Pinning, RunningTarget } from './targets.js';

export const TARGET_EXCHANGES_PER_SECOND = 1000;
export const TARGET_TOTP_EXCHANGES_PER_SECOND = 800;

export interface ExchangePlan {
  dir: string;
  seeded: SeededExchange;
  connections: number;
  warmupMs: number;
  durationMs: number;
  rounds: number;
  log(line?: string): void;
}

export async function measureExchanges(p: Pinning, server: RunningTarget, plan: ExchangePlan): Promise<void> {
  const apiTokensFile = join(plan.dir, 'api-tokens.json');
  const totpFile = join(plan.dir, 'totp.json');
  writeFileSync(apiTokensFile, JSON.stringify(plan.seeded.apiTokens));
  writeFileSync(totpFile, JSON.stringify(plan.seeded.totp));
  const kinds = [
    { name: 'exchange, MFA off', exchange: { apiTokensFile }, target: TARGET_EXCHANGES_PER_SECOND, results: [] as LoadResult[] },
    { name: 'exchange + TOTP', exchange: { totpFile }, target: TARGET_TOTP_EXCHANGES_PER_SECOND, results: [] as LoadResult[] },
  ];
  // Over the whole run no API token may exceed its per-minute limit: at most 50 uses of each, all rounds included.
  const maxRequests = Math.floor((50 * plan.seeded.apiTokens.length) / plan.rounds);
  let lastTotpStep: number | undefined;
  for (let round = 1; round <= plan.rounds; round++) {
    plan.log(`exchange round ${round}/${plan.rounds}`);
    for (const kind of kinds) {
      // Each round's load generator is a new process that starts its rotation over the principals again, and a
      // passcode is accepted once per principal and time step: a TOTP round starts in a later step than the
      // previous one ended in, or its first principals' passcodes would be refused as replays.
      if ('totpFile' in kind.exchange && lastTotpStep !== undefined) await untilStepAfter(lastTotpStep);
      const result = await generate(p, {
        port: server.port,
        path: API_TOKEN_EXCHANGE_PATH,
        exchange: kind.exchange,
        connections: plan.connections,
        warmupMs: plan.warmupMs,
        durationMs: plan.durationMs,
        maxRequests,
        serverPid: server.pid,
      });
      if ('totpFile' in kind.exchange) lastTotpStep = timeStep(Date.now());
      kind.results.push(result);
      plan.log(row(kind.name, result));
    }
  }
  for (const kind of kinds) {
    const rps = median(kind.results.map((r) => r.rps));
    const micros = median(kind.results.map(cpuMicros));
    const errors = kind.results.reduce((n, r) => n + r.non2xx, 0);
    plan.log(
      `${rps >= kind.target ? 'PASS' : 'FAIL'}: ${kind.name} ${fmt(rps)} exchanges/s on one core (target ≥ ${fmt(kind.target)}); ` +
        `server CPU ${fmt(micros)} µs per exchange, i.e. ${fmt(1e6 / micros)}/s on a whole core; non-2xx ${errors}`,
    );
    if (errors > 0) process.exitCode = 1;
  }
}

async function untilStepAfter(step: number): Promise<void> {
  while (timeStep(Date.now()) <= step) await new Promise((r) => setTimeout(r, 200));
}
