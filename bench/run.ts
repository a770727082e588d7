// `npm run bench`: the status endpoint with 1,000,000 users and 10,000 distinct tokens, limits on,
// measured side by side with a bare node:http server (server on core 0, load generator on core 1).
// Not a test: it prints figures and PASS/FAIL against the targets of issue 2, item 9, and issue 14, items 3–5
// (exchange-part.ts, mixed-part.ts, the scale lines below); --only selects parts.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../src/config.js';
import { ensureMasterKeyFile, loadMasterKey } from '../src/secrets/master-key-file.js';
import type { LoadResult } from './load-generator.js';
import { cpuMicros, fmt, generate, median, row } from './measure.js';
import { measureAuthorizationCodes } from './authcode-part.js';
import { measureExchanges } from './exchange-part.js';
import { MIXED_RATE_LIMIT_PER_MINUTE, measureMixedLoad } from './mixed-part.js';
import { seedStore } from './seed.js';
import { seedPostgres } from './seed-postgres.js';
import { bareTarget, type Pinning, type RunningTarget, serverTarget, STATUS_PATH, type Target } from './targets.js';

// Issue 14, item 1 (it replaced issue 2's 0.7, which the project never reached: docs/benchmarks.md).
const TARGET_RATIO = 0.5;
const TARGET_P99_FACTOR = 2;

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    tokens: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string', default: '.bench' },
    database: { type: 'string' },
    redis: { type: 'string' },
    compare: { type: 'string' },
    only: { type: 'string', default: 'status,exchange,mixed,scale,authcode' },
    'exchange-tokens': { type: 'string', default: '10000' },
    'totp-principals': { type: 'string', default: '20000' },
    'audit-events': { type: 'string', default: '1000000' },
    'import-users': { type: 'string', default: '100000' },
    'small-users': { type: 'string', default: '1000' },
  },
  strict: true,
});
const int = (name: keyof typeof args): number => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};
const users = int('users');
const tokenCount = int('tokens');
const connections = int('connections');
const rounds = int('rounds');
const durationMs = int('duration') * 1000;
const warmupMs = Number(args.warmup) * 1000;
const parts = new Set((args.only as string).split(','));
const exchangeCounts =
  parts.has('exchange') || parts.has('mixed') ? { mfaOff: int('exchange-tokens'), totp: parts.has('exchange') ? int('totp-principals') : 0 } : undefined;
const root = resolve(import.meta.dirname, '..');
const dir = resolve(root, args.dir as string);
const log = (line = '') => process.stdout.write(`${line}\n`);

// --database postgres://… measures a PostgreSQL (+ --redis) server beside the SQLite one, in the same run.
const postgresUrl = args.database && /^postgres(ql)?:\/\//i.test(args.database) ? args.database : undefined;
if (args.database && !postgresUrl && !args.database.startsWith('sqlite:')) {
  log(`--database must be sqlite:FILE or postgres://…, got ${args.database.replace(/\/\/[^@/]*@/, '//***@')}`);
  process.exit(2);
}
const TARGET_PG_RATIO = 0.5;
const TARGET_PG_P99_FACTOR = 3;
const TARGET_PG_CPU_FACTOR = 2;

function pinning(): Pinning {
  const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
  if (!hasTaskset || availableParallelism() < 2) {
    log(
      `WARNING: ${hasTaskset ? 'fewer than 2 cores' : 'taskset (util-linux) not found'}: server and load generator are not pinned; figures are not comparable.`,
    );
    return { serverCore: [], generatorCore: [] };
  }
  return { serverCore: ['taskset', '-c', '0'], generatorCore: ['taskset', '-c', '1'] };
}

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtime(join(path, entry))), info.mtimeMs);
}

/** The server runs from dist/, as `bin/principal-mfa` does: rebuild when a source is newer. */
function ensureBuilt(): void {
  const main = join(root, 'dist', 'cli', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(root, 'src'))) return;
  log('dist/ is older than src/: npm run build');
  try {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  } catch {
    if (!existsSync(main)) throw new Error('npm run build failed and there is no dist/ to run');
    log('WARNING: npm run build reported errors; measuring the JavaScript it emitted.');
  }
}

/** Starts every target; if one fails to start, stops the ones that did before failing, so no server is left running. */
async function startAll(targets: Target[]): Promise<{ target: Target; running: RunningTarget }[]> {
  const results = await Promise.allSettled(targets.map((t) => t.start()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw failed.reason;
  }
  return results.map((r, i) => ({ target: targets[i] as Target, running: (r as PromiseFulfilledResult<RunningTarget>).value }));
}

async function main(): Promise<void> {
  const p = pinning();
  mkdirSync(dir, { recursive: true });
  log(`principal-mfa benchmark: GET ${STATUS_PATH}`);
  log(
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}, load average ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  log(
    `plan: ${fmt(users)} users, ${fmt(tokenCount)} tokens, ${connections} connections, ${rounds} rounds of ${warmupMs / 1000} s warm-up + ${durationMs / 1000} s per target`,
  );
  ensureBuilt();
  // Issue 11: a small store and a server of its own; measured first, and alone with --only authcode.
  if (parts.has('authcode')) {
    await measureAuthorizationCodes(p, { dir, connections, warmupMs, durationMs, rounds, log });
    if (parts.size === 1) return;
  }

  const file = args.database?.startsWith('sqlite:') ? args.database.slice('sqlite:'.length) : join(dir, 'bench.db');
  // The key the servers are started with (targets.ts passes the same file): it seals the signing key seeded here.
  const masterKeyFile = join(dir, 'master.key');
  await ensureMasterKeyFile(masterKeyFile);
  const masterKey = await loadMasterKey(masterKeyFile);
  log(`seeding ${file}`);
  const store = await seedStore({
    file,
    users,
    tokens: tokenCount,
    log,
    masterKey,
    exchange: exchangeCounts,
    auditEvents: parts.has('mixed') ? int('audit-events') : 0,
  });
  const seeded = store.holders;
  const tokensFile = join(dir, 'tokens.json');
  writeFileSync(tokensFile, JSON.stringify(seeded.map((s) => s.accessToken)));
  // Issue 14, item 5: the same status requests with 1 k principals, and with two workers on the 1 M store.
  const scaleTargets: Target[] = [];
  const mainName = args.redis && !postgresUrl ? 'principal-mfa (SQLite+Redis)' : 'principal-mfa (SQLite)';
  if (parts.has('scale')) {
    const smallUsers = int('small-users');
    const smallFile = join(dir, 'bench-small.db');
    log(`seeding ${smallFile}`);
    const small = await seedStore({ file: smallFile, users: smallUsers, tokens: smallUsers, log, masterKey });
    const smallTokensFile = join(dir, 'tokens-small.json');
    writeFileSync(smallTokensFile, JSON.stringify(small.holders.map((s) => s.accessToken)));
    // The 1 k-principal store can give only 1 k tokens (one principal each), and the number of distinct tokens
    // in rotation costs by itself (a larger verified-token map, less of it in the CPU's caches). So that only the
    // number of principals differs, its reference is the 1 M store under the same number of tokens: the first
    // 1 k of the main run's, on a server of its own (its own limiter counts).
    const largeFewTokensFile = join(dir, 'tokens-large-few.json');
    writeFileSync(largeFewTokensFile, JSON.stringify(seeded.slice(0, smallUsers).map((s) => s.accessToken)));
    const largeFewName = `SQLite, ${fmt(users)} principals, ${fmt(Math.min(smallUsers, tokenCount))} tokens`;
    scaleTargets.push(
      {
        ...serverTarget(p, dir, largeFewName, `sqlite:${file}`),
        tokensFile: largeFewTokensFile,
        tokenCount: Math.min(smallUsers, tokenCount),
        scaleReference: true,
      },
      {
        ...serverTarget(p, dir, `SQLite, ${fmt(smallUsers)} principals`, `sqlite:${smallFile}`),
        tokensFile: smallTokensFile,
        tokenCount: smallUsers,
        sample: small.holders[0],
        scaleOf: largeFewName,
      },
      { ...serverTarget(p, dir, 'SQLite, serve --workers 2', `sqlite:${file}`, ['--workers', '2']), scaleOf: mainName },
    );
  }
  let pgTarget: Target | undefined;
  if (postgresUrl) {
    log(`seeding ${postgresUrl.replace(/\/\/[^@/]*@/, '//***@')}`);
    const pgSeeded = await seedPostgres(postgresUrl, { users, tokens: tokenCount, log, masterKey });
    const pgTokensFile = join(dir, 'tokens-postgres.json');
    writeFileSync(pgTokensFile, JSON.stringify(pgSeeded.map((s) => s.accessToken)));
    const name = `principal-mfa (PostgreSQL${args.redis ? '+Redis' : ''})`;
    pgTarget = { ...serverTarget(p, dir, name, postgresUrl, args.redis ? ['--redis', args.redis] : []), tokensFile: pgTokensFile, sample: pgSeeded[0] };
  }

  const baseline = bareTarget(p, dir);
  // Further configurations (PostgreSQL store, several workers) are more entries of this list.
  const targets: Target[] = [
    serverTarget(p, dir, mainName, `sqlite:${file}`, args.redis && !postgresUrl ? ['--redis', args.redis] : []),
    ...(pgTarget ? [pgTarget] : []),
    ...scaleTargets,
    ...compareTargets(p, file),
  ];
  // Every token names a different principal. Keep each one under the per-principal limit over the
  // whole run (not just per minute), with a 10% margin: no 429 can appear in the figures.
  const limit = DEFAULTS.rateLimitPerMinute;
  // -1: the sanity request below; -PRIMING_PASSES: the priming passes.
  const perTokenBudget = Math.floor((limit * 0.9) / rounds) - 1 - PRIMING_PASSES;
  log(
    `rate limit ${limit}/min per principal: each server round may send at most ${fmt(perTokenBudget)} requests per token (${fmt(perTokenBudget * tokenCount)} in all)`,
  );

  const started = await startAll([baseline, ...targets]);
  try {
    // One real answer first, so a broken setup fails loudly instead of measuring 401s.
    for (const { target, running } of started.slice(1)) {
      const sample = target.sample ?? seeded[0]!;
      const res = await fetch(`http://127.0.0.1:${running.port}${STATUS_PATH}`, { headers: { 'csp-auth-token': sample.accessToken } });
      const body = (await res.json()) as { username?: string };
      if (res.status !== 200 || body.username !== sample.username) throw new Error(`${target.name} answered ${res.status} ${JSON.stringify(body)}`);
    }
    if (parts.has('status') || parts.has('scale')) await primeTokens(p, started, tokensFile);
    const results = new Map<string, LoadResult[]>(started.map(({ target }) => [target.name, []]));
    for (let round = 1; round <= (parts.has('status') || parts.has('scale') ? rounds : 0); round++) {
      log(`round ${round}/${rounds}`);
      for (const { target, running } of started) {
        const result = await generate(p, {
          port: running.port,
          path: STATUS_PATH,
          // The baseline gets the same tokens (and ignores them): both parse the same request bytes.
          tokensFile: target.tokensFile ?? tokensFile,
          maxRequests: target.authenticated ? perTokenBudget * (target.tokenCount ?? tokenCount) : Number.MAX_SAFE_INTEGER,
          connections,
          warmupMs,
          durationMs,
          serverPid: running.pid,
        });
        results.get(target.name)!.push(result);
        log(row(target.name, result));
      }
    }
    if (parts.has('status') || parts.has('scale')) report(baseline, targets, results);
    const sqliteServer = started[1]!.running;
    const measureOptions = { dir, connections, warmupMs, durationMs, rounds, log };
    if (parts.has('exchange')) await measureExchanges(p, sqliteServer, { ...measureOptions, seeded: store.exchange });
    if (parts.has('mixed')) {
      const apiTokensFile = join(dir, 'api-tokens.json');
      writeFileSync(apiTokensFile, JSON.stringify(store.exchange.apiTokens));
      // The four audit clients page one principal's history as fast as answers come (~100 pages/s), past the
      // production 600/min per principal: that limit stays on, with room for them (mixed-part.ts).
      const mixedFlags = ['--event-loop-stats', '--rate-limit-per-minute', String(MIXED_RATE_LIMIT_PER_MINUTE)];
      // With --compare, the other tree's server (and its `users import`) goes first in every round, back to back.
      const trees = args.compare ? [resolve(args.compare), root] : [root];
      for (let round = 1; round <= rounds; round++) {
        for (const tree of trees) {
          const name = `principal-mfa (SQLite, --event-loop-stats${tree === root ? '' : `, ${tree}`})`;
          if (rounds > 1 || trees.length > 1) log(`mixed round ${round}: ${tree === root ? 'this tree' : tree}`);
          const observed = await serverTarget(p, dir, name, `sqlite:${file}`, mixedFlags, tree).start();
          try {
            const mixed = { dir, file, tree, tokensFile, apiTokensFile, auditor: seeded[0]!, importUsers: int('import-users'), durationMs, log };
            await measureMixedLoad(p, observed, mixed);
          } finally {
            await observed.stop();
          }
        }
      }
    }
  } finally {
    await Promise.all(started.map(({ running }) => running.stop()));
  }
}

/**
 * A token's first use in a server process costs a full signature check (~100–200 µs); after it, the verified
 * token is remembered for its lifetime. With 10,000 tokens that first use alone took most of the first round,
 * which then measured the warm-up rather than the steady state the targets are about. So before the rounds,
 * every authenticated server gets every token PRIMING_PASSES times (tokens rotate over the connections, so with
 * two workers a token reaches both with probability 1 − 2^(1−passes)); nothing of it is measured.
 */
const PRIMING_PASSES = 3;
async function primeTokens(p: Pinning, started: { target: Target; running: RunningTarget }[], tokensFile: string): Promise<void> {
  for (const { target, running } of started) {
    if (!target.authenticated) continue;
    const count = target.tokenCount ?? tokenCount;
    log(`priming ${target.name}: each of its ${fmt(count)} tokens ${PRIMING_PASSES} times, not measured`);
    await generate(p, {
      port: running.port,
      path: STATUS_PATH,
      tokensFile: target.tokensFile ?? tokensFile,
      maxRequests: PRIMING_PASSES * count,
      connections,
      warmupMs: 0,
      durationMs: 600_000, // ends when the requests are sent
      serverPid: running.pid,
    });
  }
}

/**
 * `--compare DIR`: the same SQLite server from another built tree (e.g. `git archive` of an older commit, with
 * its own dist/ and node_modules), measured in the same rounds: an A/B on one machine at one time.
 */
function compareTargets(p: Pinning, file: string): Target[] {
  if (!args.compare) return [];
  const tree = resolve(args.compare);
  if (!existsSync(join(tree, 'dist', 'cli', 'main.js'))) throw new Error(`--compare ${tree}: no dist/cli/main.js (npm run build there first)`);
  return [{ ...serverTarget(p, dir, `SQLite, ${tree}`, `sqlite:${file}`, [], tree), compareOf: true }];
}

const TARGET_SCALE_GROWTH = 0.1;

/** Issue 14, item 5: server CPU per request against the one-worker, 1 M-principal SQLite server of the same rounds. */
function reportScale(target: Target, rs: LoadResult[], referenceName: string, reference: LoadResult[]): void {
  const micros = median(rs.map(cpuMicros));
  const referenceMicros = median(reference.map(cpuMicros));
  const errors = rs.reduce((n, r) => n + r.non2xx, 0);
  const growth = micros / referenceMicros - 1;
  log(`  ${target.name.padEnd(26)} ${fmt(median(rs.map((r) => r.rps))).padStart(8)} req/s  non-2xx ${errors}`);
  log(
    `${Math.abs(growth) <= TARGET_SCALE_GROWTH ? 'PASS' : 'FAIL'}: ${target.name} server CPU ${fmt(micros, 1)} µs/request vs ${fmt(referenceMicros, 1)} µs of ${referenceName} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(0)} %, target within ±${TARGET_SCALE_GROWTH * 100} %)`,
  );
  if (errors > 0) process.exitCode = 1;
}

/** `--compare`: the other tree's figures beside this tree's SQLite server of the same rounds. */
function reportComparison(target: Target, rs: LoadResult[], reference: LoadResult[]): void {
  const micros = median(rs.map(cpuMicros));
  const referenceMicros = median(reference.map(cpuMicros));
  log(
    `  ${target.name}: ${fmt(median(rs.map((r) => r.rps)))} req/s  p99 ${fmt(median(rs.map((r) => r.p99Ms)), 2)} ms  non-2xx ${rs.reduce((n, r) => n + r.non2xx, 0)}`,
  );
  log(
    `  server CPU per request: this tree ${fmt(referenceMicros, 1)} µs vs compared tree ${fmt(micros, 1)} µs (${((referenceMicros / micros - 1) * 100).toFixed(0)} %; per round: ${reference
      .map((r, i) => `${fmt(cpuMicros(r), 1)}/${fmt(cpuMicros(rs[i] as LoadResult), 1)}`)
      .join(', ')})`,
  );
}

function report(baseline: Target, targets: Target[], results: Map<string, LoadResult[]>): void {
  const bare = results.get(baseline.name)!;
  const bareRps = median(bare.map((r) => r.rps));
  const bareP99 = median(bare.map((r) => r.p99Ms));
  log(`\nsummary (median of ${rounds} rounds)`);
  log(`  ${baseline.name.padEnd(26)} ${fmt(bareRps).padStart(8)} req/s  p50 ${fmt(median(bare.map((r) => r.p50Ms)), 2)} ms  p99 ${fmt(bareP99, 2)} ms`);
  let non2xx = bare.reduce((n, r) => n + r.non2xx, 0);
  for (const target of targets) {
    const rs = results.get(target.name)!;
    if (target.scaleReference) {
      log(
        `  ${target.name.padEnd(26)} ${fmt(median(rs.map((r) => r.rps))).padStart(8)} req/s  server CPU ${fmt(median(rs.map(cpuMicros)), 1)} µs/request (item 5's reference)`,
      );
      continue;
    }
    if (target.scaleOf) {
      reportScale(target, rs, target.scaleOf, results.get(target.scaleOf)!);
      continue;
    }
    if (target.compareOf) {
      reportComparison(target, rs, results.get(targets[0]!.name)!);
      continue;
    }
    const rps = median(rs.map((r) => r.rps));
    const p99 = median(rs.map((r) => r.p99Ms));
    const errors = rs.reduce((n, r) => n + r.non2xx, 0);
    non2xx += errors;
    const pairRatios = rs.map((r, i) => r.rps / (bare[i] as LoadResult).rps);
    log(
      `  ${target.name.padEnd(26)} ${fmt(rps).padStart(8)} req/s  p50 ${fmt(median(rs.map((r) => r.p50Ms)), 2)} ms  p99 ${fmt(p99, 2)} ms  non-2xx ${errors}  most requests for one token ${Math.max(...rs.map((r) => r.maxPerToken))}`,
    );
    log(`  ratio ${(rps / bareRps).toFixed(2)} (per round: ${pairRatios.map((x) => x.toFixed(2)).join(', ')}), p99 ${(p99 / bareP99).toFixed(2)}× bare`);
    const cpuRatio = median(bare.map(cpuMicros)) / median(rs.map(cpuMicros));
    log(
      `  server CPU per request: ${fmt(median(rs.map(cpuMicros)), 1)} µs vs bare ${fmt(median(bare.map(cpuMicros)), 1)} µs (CPU-normalised ratio ${cpuRatio.toFixed(2)})`,
    );
    if ([...bare, ...rs].some((r) => (r.serverCpuPercent ?? 100) < 90)) {
      log(
        '  NOTE: a server core was below 90% busy in some round (other processes share the cores, or the generator fell behind): req/s understates; the CPU-normalised ratio is steadier.',
      );
    }
    log(`${rps / bareRps >= TARGET_RATIO ? 'PASS' : 'FAIL'}: ${target.name} throughput ratio ${(rps / bareRps).toFixed(2)} (target ≥ ${TARGET_RATIO})`);
    log(
      `${p99 <= TARGET_P99_FACTOR * bareP99 ? 'PASS' : 'FAIL'}: ${target.name} p99 ${fmt(p99, 2)} ms vs bare ${fmt(bareP99, 2)} ms (target ≤ ${TARGET_P99_FACTOR}× = ${fmt(TARGET_P99_FACTOR * bareP99, 2)} ms)`,
    );
    log(`${errors === 0 ? 'PASS' : 'FAIL'}: ${target.name} non-2xx responses ${errors} (must be 0)`);
  }
  const [sqliteTarget, pg] = targets;
  if (sqliteTarget && pg?.tokensFile && pg.tokenCount === undefined) {
    // Issue 4's target: the shared-infrastructure copy against the embedded store, same run, same machine.
    const med = (t: Target, f: (r: LoadResult) => number) => median(results.get(t.name)!.map(f));
    const ratio = med(pg, (r) => r.rps) / med(sqliteTarget, (r) => r.rps);
    const p99Factor = med(pg, (r) => r.p99Ms) / med(sqliteTarget, (r) => r.p99Ms);
    log(`${ratio >= TARGET_PG_RATIO ? 'PASS' : 'FAIL'}: ${pg.name} throughput ${ratio.toFixed(2)}× ${sqliteTarget.name} (target ≥ ${TARGET_PG_RATIO})`);
    log(
      `${p99Factor <= TARGET_PG_P99_FACTOR ? 'PASS' : 'FAIL'}: ${pg.name} p99 ${p99Factor.toFixed(2)}× ${sqliteTarget.name} (target ≤ ${TARGET_PG_P99_FACTOR}×)`,
    );
    // Issue 14, item 2: the CPU side, which PostgreSQL's and Redis's own processes (on the other core) do not blur.
    const [pgMicros, sqliteMicros] = [med(pg, cpuMicros), med(sqliteTarget, cpuMicros)];
    log(
      `${pgMicros <= TARGET_PG_CPU_FACTOR * sqliteMicros ? 'PASS' : 'FAIL'}: ${pg.name} server CPU ${fmt(pgMicros, 1)} µs per request, ${(pgMicros / sqliteMicros).toFixed(2)}× ${sqliteTarget.name}'s ${fmt(sqliteMicros, 1)} µs (target ≤ ${TARGET_PG_CPU_FACTOR}×)`,
    );
  }
  // Wrong answers make the figures meaningless: that, unlike a slow run, fails the command.
  if (non2xx > 0) process.exitCode = 1;
}

await main();
