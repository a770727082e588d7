// `npm run soak -- --minutes N [--store sqlite|postgres|both] [--out DIR]`: a mixed load on the real server
// (status, exchanges with and without passcodes, device registration, audit queries, CLI disable/enable),
// on SQLite and on PostgreSQL + Redis, with a PostgreSQL restart and a Redis restart in the middle of the
// PostgreSQL run. PostgreSQL and Redis are servers of the soak's own (scripts/test-servers.sh on other ports
// and folders), never the shared test servers. Writes soak-<store>.json and soak-<store>.png to DIR.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCli } from '../src/cli/main.js';
import { systemClock } from '../src/clock.js';
import { base32Decode } from '../src/mfa/base32.js';
import { timeStep, totpAt } from '../src/mfa/totp.js';
import { hashPassword } from '../src/principals/passwords.js';
import { createUser } from '../src/principals/users.js';
import { openStore } from '../src/storage/database.js';
import { createApiToken } from '../src/tokens/api-tokens.js';
import { prng, Server } from './crash.js';
import { lineChartPng } from './png-chart.js';
import { createPostgresDatabase } from '../test/support/postgres.js';
import { PassThrough } from 'node:stream';

const API = '/csp/gateway/iam/vmwid/api/principal/mfa';
const EXCHANGE = '/csp/gateway/am/api/auth/api-tokens/authorize';
const ROOT = join(import.meta.dirname, '..');
const WINDOW_MS = 10_000;
const SERVERS = {
  PRINCIPAL_MFA_TEST_SERVERS_DIR: '/tmp/principal-mfa-soak-servers',
  PRINCIPAL_MFA_TEST_PG_PORT: '55532',
  PRINCIPAL_MFA_TEST_REDIS_PORT: '56479',
};

interface SoakUser {
  username: string;
  apiToken: string;
  accessToken: string;
  secret?: Uint8Array;
}

interface Sample {
  t: number;
  op: string;
  status: number;
  ms: number;
}

const servers = (...args: string[]): string =>
  execFileSync('bash', [join(ROOT, 'scripts', 'test-servers.sh'), ...args], { env: { ...process.env, ...SERVERS }, encoding: 'utf8' });

function processFigures(pid: number): { rssMb: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(rssKb / 102.4) / 10, fds: readdirSync(`/proc/${pid}/fd`).length };
}

async function eventLoopP99Ms(baseUrl: string): Promise<number | null> {
  const res = await fetch(`${baseUrl}/metrics`).catch(() => undefined);
  if (!res || res.status !== 200) return null;
  const line = (await res.text()).split('\n').find((l) => l.startsWith('principal_mfa_nodejs_eventloop_lag_p99_seconds'));
  return line ? Math.round(Number(line.split(' ')[1]) * 10000) / 10 : null;
}

async function cli(args: string[]): Promise<number> {
  const sink = new PassThrough();
  sink.resume();
  const stdin = new PassThrough();
  stdin.end();
  return runCli(args, { stdout: sink, stderr: sink, stdin, env: {} });
}

async function makeUsers(databaseUrl: string, baseUrl: string, count: number): Promise<SoakUser[]> {
  const store = await openStore(databaseUrl);
  const users: SoakUser[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const username = `soak-${i}-${randomBytes(3).toString('hex')}`;
      const user = await createUser(store, systemClock, { username, passwordHash: await hashPassword(`pw-${username}`) });
      const apiToken = await createApiToken(store, systemClock, user.id);
      const res = await fetch(`${baseUrl}${EXCHANGE}`, { method: 'POST', body: new URLSearchParams({ api_token: apiToken }) });
      users.push({ username, apiToken, accessToken: ((await res.json()) as { access_token: string }).access_token });
    }
  } finally {
    await store.close();
  }
  // Half the users turn MFA on, so their exchanges need a passcode.
  for (const u of users.slice(0, count / 2)) {
    const created = await call(baseUrl, 'POST', `${API}/device`, u.accessToken, { deviceName: 'soak' });
    u.secret = base32Decode(((await created.json()) as { secret: string }).secret);
    await call(baseUrl, 'POST', `${API}/device/activate`, u.accessToken, { passcode: totpAt(u.secret, timeStep(Date.now())) });
  }
  return users;
}

const call = (baseUrl: string, method: string, path: string, token: string, body?: unknown) =>
  fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'csp-auth-token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** The first server errors, with their bodies, for the report. */
const serverErrors: string[] = [];
async function finish(op: string, res: Response): Promise<{ op: string; status: number }> {
  const text = await res.text();
  if (res.status >= 500 && serverErrors.length < 10) serverErrors.push(`${new Date().toISOString()} ${op} → ${res.status} ${text.slice(0, 300)}`);
  return { op, status: res.status };
}

/** One operation of the mix, timed; returns its name and status (0: no answer). */
async function operation(baseUrl: string, databaseUrl: string, users: SoakUser[], random: () => number): Promise<{ op: string; status: number }> {
  const u = users[Math.floor(random() * users.length)]!;
  const r = random();
  const form = (extra: Record<string, string> = {}) => ({ method: 'POST', body: new URLSearchParams({ api_token: u.apiToken, ...extra }) });
  try {
    if (r < 0.4) return await finish('status', await call(baseUrl, 'GET', `${API}/status`, u.accessToken));
    if (r < 0.6) {
      const extra = u.secret ? { passcode: totpAt(u.secret, timeStep(Date.now())) } : undefined;
      const res = await fetch(`${baseUrl}${EXCHANGE}`, form(extra));
      return await finish(u.secret ? 'exchange+passcode' : 'exchange', res);
    }
    if (r < 0.75) {
      const res = await call(baseUrl, 'POST', `${API}/audit`, u.accessToken, { startDate: 0, endDate: Date.now() + 1000, pageLimit: 20 });
      return await finish('audit', res);
    }
    if (r < 0.9) {
      const res = await call(baseUrl, 'PATCH', `${API}/device`, u.accessToken, { deviceName: `soak ${Math.floor(random() * 1000)}` });
      return await finish('device-rename', res);
    }
    if (r < 0.98) {
      const res = await call(baseUrl, 'POST', `${API}/device`, u.accessToken, { deviceName: 'soak pending' });
      return await finish('device-register', res);
    }
    // The admin CLI against the same store while the server runs: disable, then enable again.
    const disabled = await cli(['users', 'disable', '--username', u.username, '--database', databaseUrl]);
    const enabled = await cli(['users', 'enable', '--username', u.username, '--database', databaseUrl]);
    // A CLI that cannot reach the store (an outage) exits non-zero: recorded as no answer (0).
    return { op: 'cli-disable-enable', status: disabled === 0 && enabled === 0 ? 200 : 0 };
  } catch {
    return { op: 'no-answer', status: 0 };
  }
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0);

async function soak(store: 'sqlite' | 'postgres', minutes: number, outDir: string, seed: number): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'pmfa-soak-'));
  writeFileSync(join(dir, 'master.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
  let databaseUrl = `sqlite:${join(dir, 'soak.db')}`;
  let drop: (() => Promise<void>) | undefined;
  let startedServers = '';
  let redisUrl: string | undefined;
  if (store === 'postgres') {
    const env = servers('start');
    const vars = Object.fromEntries([...env.matchAll(/export (\w+)=['"]?([^'"\n]*)/g)].map((m) => [m[1]!, m[2]!]));
    startedServers = vars.PRINCIPAL_MFA_TEST_SERVERS_STARTED ?? '';
    redisUrl = vars.PRINCIPAL_MFA_TEST_REDIS_SERVER_URL;
    ({ url: databaseUrl, drop } = await createPostgresDatabase(vars.PRINCIPAL_MFA_TEST_PG_SERVER_URL!));
  }
  const random = prng(seed);
  const server = new Server(databaseUrl, join(dir, 'master.key'), 30000 + Math.floor(random() * 10000), redisUrl ? ['--redis', redisUrl] : []);
  const samples: Sample[] = [];
  const figures: { t: number; rssMb: number; fds: number; loopP99Ms: number | null }[] = [];
  const outages: { what: string; from: number; to: number; successesByOp: Record<string, number>; failClosedViolations: number; recoveryMs: number | null }[] =
    [];
  const durationMs = minutes * 60_000;
  let ok = true;
  try {
    await server.start();
    const users = await makeUsers(databaseUrl, server.baseUrl, 20);
    const t0 = Date.now();
    let stop = false;
    const workers = Array.from({ length: 6 }, async () => {
      while (!stop) {
        const started = Date.now();
        const { op, status } = await operation(server.baseUrl, databaseUrl, users, random);
        samples.push({ t: started - t0, op, status, ms: Date.now() - started });
      }
    });
    const monitor = (async () => {
      while (!stop) {
        figures.push({ t: Date.now() - t0, ...processFigures(server.child!.pid!), loopP99Ms: await eventLoopP99Ms(server.baseUrl) });
        await new Promise((r) => setTimeout(r, 2000));
      }
    })();
    const restart = async (what: 'postgres' | 'redis') => {
      const from = Date.now() - t0;
      servers('stop', what);
      await new Promise((r) => setTimeout(r, 3000));
      const downTo = Date.now() - t0;
      servers('start');
      const upAt = Date.now();
      let recoveryMs: number | null = null;
      for (let i = 0; i < 300 && recoveryMs === null; i++) {
        const res = await fetch(`${server.baseUrl}/readyz`).catch(() => undefined);
        if (res?.status === 200) recoveryMs = Date.now() - upAt;
        else await new Promise((r) => setTimeout(r, 50));
      }
      // Fail closed (docs/operations.md, "Behaviour during outages"): while PostgreSQL is down every request of
      // the mix needs the store, so no success; while Redis is down status reads and the rest go on under a
      // per-copy fallback limiter by design, but a request carrying a passcode must not succeed.
      const during = samples.filter((x) => x.t > from + 500 && x.t + x.ms < downTo && x.status >= 200 && x.status < 300);
      const successesByOp: Record<string, number> = {};
      for (const x of during) successesByOp[x.op] = (successesByOp[x.op] ?? 0) + 1;
      const failClosedViolations = what === 'postgres' ? during.length : (successesByOp['exchange+passcode'] ?? 0);
      outages.push({ what, from, to: downTo, successesByOp, failClosedViolations, recoveryMs });
    };
    if (store === 'postgres') {
      await new Promise((r) => setTimeout(r, durationMs * 0.4));
      await restart('postgres');
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + durationMs * 0.7 - Date.now())));
      await restart('redis');
    }
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + durationMs - Date.now())));
    stop = true;
    await Promise.all([...workers, monitor]);

    const windows: { t: number; count: number; p50: number; p99: number }[] = [];
    for (let w = 0; w * WINDOW_MS < durationMs; w++) {
      const ms = samples
        .filter((s) => s.t >= w * WINDOW_MS && s.t < (w + 1) * WINDOW_MS && s.status > 0)
        .map((s) => s.ms)
        .sort((a, b) => a - b);
      windows.push({ t: w * WINDOW_MS, count: ms.length, p50: percentile(ms, 0.5), p99: percentile(ms, 0.99) });
    }
    const byStatus: Record<string, number> = {};
    const byOp: Record<string, number> = {};
    for (const s of samples) {
      byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
      byOp[s.op] = (byOp[s.op] ?? 0) + 1;
    }
    // Warm-up: the first fifth of the run; growth measured from its end to the end of the run.
    const warm = figures.find((f) => f.t >= durationMs / 5) ?? figures[0]!;
    const end = figures[figures.length - 1]!;
    const rssGrowthPercent = Math.round(((end.rssMb - warm.rssMb) / warm.rssMb) * 1000) / 10;
    const fdGrowth = end.fds - warm.fds;
    const fiveHundreds = samples.filter((s) => s.status >= 500).length;
    const checks = {
      rssGrowthUnder10Percent: rssGrowthPercent < 10,
      noDescriptorLeak: fdGrowth <= 2,
      noSuccessDuringOutage: outages.every((o) => o.failClosedViolations === 0),
      recoveredWithin5s: outages.every((o) => o.recoveryMs !== null && o.recoveryMs <= 5000),
    };
    ok = Object.values(checks).every(Boolean);
    const report = {
      store: store === 'postgres' ? 'postgres+redis' : 'sqlite',
      minutes,
      seed,
      requests: samples.length,
      byStatus,
      byOp,
      fiveHundreds,
      serverErrors: serverErrors.splice(0),
      serverErrorsByOp: Object.fromEntries(Object.keys(byOp).map((op) => [op, samples.filter((x) => x.op === op && x.status >= 500).length])),
      outages,
      start: figures[0],
      warm,
      end,
      rssGrowthPercent,
      fdGrowth,
      maxEventLoopP99Ms: Math.max(...figures.map((f) => f.loopP99Ms ?? 0)),
      windows,
      checks,
      pass: ok,
    };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `soak-${store}.json`), JSON.stringify(report, null, 2));
    writeFileSync(
      join(outDir, `soak-${store}.png`),
      lineChartPng([
        [{ color: [200, 40, 40], points: figures.map((f) => ({ x: f.t / 1000, y: f.rssMb })) }],
        [{ color: [40, 80, 200], points: figures.map((f) => ({ x: f.t / 1000, y: f.fds })) }],
        [
          { color: [120, 120, 120], points: windows.map((w) => ({ x: w.t / 1000, y: w.p50 })) },
          { color: [20, 150, 60], points: windows.map((w) => ({ x: w.t / 1000, y: w.p99 })) },
        ],
      ]),
    );
    console.log(JSON.stringify({ ...report, windows: `${windows.length} windows of ${WINDOW_MS / 1000} s` }, null, 2));
  } finally {
    await server.kill();
    await drop?.().catch(() => undefined);
    if (startedServers) servers('stop', ...startedServers.split(/\s+/).filter(Boolean));
    rmSync(dir, { recursive: true, force: true });
  }
  return ok;
}

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    store: { type: 'string', default: 'both' },
    out: { type: 'string', default: join(ROOT, 'reliability', 'results') },
    seed: { type: 'string', default: '20261201' },
  },
});
const stores = values.store === 'both' ? (['sqlite', 'postgres'] as const) : [values.store as 'sqlite' | 'postgres'];
let pass = true;
for (const store of stores) pass = (await soak(store, Number(values.minutes), values.out!, Number(values.seed))) && pass;
process.exit(pass ? 0 : 1);
