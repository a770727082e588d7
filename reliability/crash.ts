// Crash consistency: the real `serve` process, SIGKILLed at seeded random moments while clients register
// and activate devices, spend recovery codes and fail passcodes (toward the lockout); after every restart
// each invariant of docs/reliability.md is checked over HTTP against what the clients were told.
// On SQLite some kills are followed by a torn tail appended to the WAL (a frame cut short, as a kill in
// the middle of a write leaves it): the store must open and serve without repair.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base32Decode } from '../src/mfa/base32.js';
import { timeStep, totpAt } from '../src/mfa/totp.js';
import { hashPassword } from '../src/principals/passwords.js';
import { createUser } from '../src/principals/users.js';
import { openStore, sqlitePath } from '../src/storage/database.js';
import { systemClock } from '../src/clock.js';
import { createApiToken } from '../src/tokens/api-tokens.js';

const ENTRY = join(import.meta.dirname, '..', 'test', 'ops', 'support', 'cli-entry.ts');
const API = '/csp/gateway/iam/vmwid/api/principal/mfa';
const EXCHANGE = '/csp/gateway/am/api/auth/api-tokens/authorize';
export const CRASH_LOCKOUT_THRESHOLD = 4;

/** A seeded PRNG (mulberry32): the same seed gives the same kill moments and the same torn tails. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ClientState {
  username: string;
  apiToken: string;
  accessToken?: string;
  secret?: Uint8Array;
  activationPasscode?: string;
  activationAcked: boolean;
  activationInFlight: boolean;
  codes: string[];
  usedAcked: number[];
  codeInFlight: boolean;
  wrongAcked: number;
  /** Acknowledged failures since the last acknowledged success: the lockout counts failures in a row. */
  failuresInARow: number;
}

export interface CrashReport {
  store: string;
  seed: number;
  kills: number;
  tornTails: number;
  acknowledged: { activations: number; recoveryCodes: number; failures: number };
  /** How often the checks that need a particular history ran (a lockout check needs a run of failures). */
  checked: { clients: number; lockouts: number; replays: number };
  violations: string[];
}

/** A real `serve` process (from the TypeScript sources) on a store of its own; `extraArgs` add flags. */
export class Server {
  child?: ChildProcess;
  constructor(
    private readonly databaseUrl: string,
    private readonly keyFile: string,
    readonly port: number,
    private readonly extraArgs: string[] = [],
  ) {}
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    const args = [
      '--import',
      'tsx',
      ENTRY,
      'serve',
      '--database',
      this.databaseUrl,
      '--master-key-file',
      this.keyFile,
      '--port',
      String(this.port),
      '--host',
      '127.0.0.1',
    ];
    args.push('--log-level', 'silent', '--lockout-threshold', String(CRASH_LOCKOUT_THRESHOLD));
    args.push('--rate-limit-per-minute', '1000000', '--failed-auth-per-minute', '1000000', '--api-token-exchanges-per-minute', '1000000');
    args.push(...this.extraArgs);
    this.child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.child.stderr!.on('data', (c) => (stderr += c));
    for (let i = 0; i < 600; i++) {
      if (this.child.exitCode !== null) throw new Error(`serve exited with ${this.child.exitCode}: ${stderr}`);
      const ok = await fetch(`${this.baseUrl}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`serve did not become ready: ${stderr}`);
  }
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

const post = (baseUrl: string, path: string, token: string, body: unknown) =>
  fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'csp-auth-token': token, 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function exchange(baseUrl: string, apiToken: string, passcode?: string): Promise<{ status: number; body: any }> {
  const form = new URLSearchParams({ api_token: apiToken });
  if (passcode !== undefined) form.set('passcode', passcode);
  const res = await fetch(`${baseUrl}${EXCHANGE}`, { method: 'POST', body: form });
  return { status: res.status, body: await res.json() };
}

function wrongPasscode(secret: Uint8Array): string {
  const step = timeStep(Date.now());
  const near = new Set([-2, -1, 0, 1, 2].map((d) => totpAt(secret, step + d)));
  for (let n = 0; ; n++) {
    const candidate = String(n * 7919)
      .padStart(6, '0')
      .slice(-6);
    if (!near.has(candidate)) return candidate;
  }
}

/** One client's life: register a device, activate it, then spend recovery codes and fail passcodes until killed. */
async function runClient(baseUrl: string, c: ClientState): Promise<void> {
  try {
    const first = await exchange(baseUrl, c.apiToken);
    if (first.status !== 200) return;
    c.accessToken = first.body.access_token;
    const created = await post(baseUrl, `${API}/device`, c.accessToken!, { deviceName: `crash ${c.username}` });
    if (created.status !== 201) return;
    c.secret = base32Decode(((await created.json()) as { secret: string }).secret);
    c.activationPasscode = totpAt(c.secret, timeStep(Date.now()));
    c.activationInFlight = true;
    const activated = await post(baseUrl, `${API}/device/activate`, c.accessToken!, { passcode: c.activationPasscode });
    if (activated.status !== 200) return;
    c.codes = ((await activated.json()) as { recoveryCodes: string[] }).recoveryCodes;
    c.activationAcked = true;
    c.activationInFlight = false;
    // Codes 0..3 are spent between failures (a success ends a run of failures), then a run of failures
    // that must lock the principal; codes 8 and 9 stay unused for the checks after the restart.
    for (let i = 0; i < 4; i++) {
      c.codeInFlight = true;
      const spent = await exchange(baseUrl, c.apiToken, c.codes[i]);
      c.codeInFlight = false;
      if (spent.status === 200) {
        c.usedAcked.push(i);
        c.failuresInARow = 0;
      }
      await wrongOnce(baseUrl, c);
    }
    for (let i = 0; i < CRASH_LOCKOUT_THRESHOLD + 2; i++) await wrongOnce(baseUrl, c);
  } catch {
    // The kill: whatever was in flight is in doubt, and the invariants allow either outcome for it.
  }
}

async function wrongOnce(baseUrl: string, c: ClientState): Promise<void> {
  const wrong = await exchange(baseUrl, c.apiToken, wrongPasscode(c.secret!));
  if (wrong.status !== 401) return;
  c.wrongAcked++;
  c.failuresInARow++;
}

async function auditActions(baseUrl: string, c: ClientState): Promise<Record<string, number>> {
  const res = await post(baseUrl, `${API}/audit`, c.accessToken!, { startDate: 0, endDate: Date.now() + 60_000, pageLimit: 200 });
  if (res.status !== 200) throw new Error(`audit query answered ${res.status}: ${await res.text()}`);
  const counts: Record<string, number> = {};
  for (const row of ((await res.json()) as { results: { action: string }[] }).results) counts[row.action] = (counts[row.action] ?? 0) + 1;
  return counts;
}

/** The invariants for one client after a restart; returns the violations found. */
async function checkClient(baseUrl: string, c: ClientState, checked: CrashReport['checked']): Promise<string[]> {
  if (!c.accessToken) return [];
  const out: string[] = [];
  const fail = (what: string) => out.push(`${c.username}: ${what}`);
  checked.clients++;
  const statusRes = await fetch(`${baseUrl}${API}/status`, { headers: { 'csp-auth-token': c.accessToken } });
  if (statusRes.status !== 200) return [`${c.username}: status answered ${statusRes.status}`];
  const status = (await statusRes.json()) as { activated: boolean; turnedOn: boolean };
  const audit = await auditActions(baseUrl, c);
  const activations = audit.MFA_ACTIVATION ?? 0;
  if (c.activationAcked && !status.activated) fail('an acknowledged activation is gone');
  if (!c.activationAcked && !c.activationInFlight && status.activated) fail('a device activated that no activation request reached');
  if (status.activated !== (activations === 1)) fail(`activated=${status.activated} but ${activations} MFA_ACTIVATION audit rows`);
  if (status.activated !== status.turnedOn) fail(`half-activated: activated=${status.activated}, turnedOn=${status.turnedOn}`);
  const recoveries = audit.MFA_RECOVERY_CODE_AUTHENTICATION_SUCCESS ?? 0;
  if (recoveries < c.usedAcked.length || recoveries > c.usedAcked.length + (c.codeInFlight ? 1 : 0))
    fail(`${c.usedAcked.length} acknowledged recovery-code exchanges (one in flight: ${c.codeInFlight}) but ${recoveries} audit rows`);
  if ((audit.MFA_AUTHENTICATION_FAILURE ?? 0) < c.wrongAcked)
    fail(`${c.wrongAcked} acknowledged failures but ${audit.MFA_AUTHENTICATION_FAILURE ?? 0} audit rows`);
  if (!status.activated) return out;
  // The lockout count survived: enough acknowledged failures mean an unused, valid code is refused now.
  if (c.failuresInARow >= CRASH_LOCKOUT_THRESHOLD && c.codes[9]) {
    checked.lockouts++;
    const locked = await exchange(baseUrl, c.apiToken, c.codes[9]);
    if (locked.status === 200) fail(`${c.failuresInARow} acknowledged failures in a row (threshold ${CRASH_LOCKOUT_THRESHOLD}) but a valid code was accepted`);
  }
  // A code or step accepted once is never accepted again, across the crash.
  checked.replays += c.usedAcked.slice(-2).length + (c.activationAcked ? 1 : 0);
  for (const i of c.usedAcked.slice(-2)) if ((await exchange(baseUrl, c.apiToken, c.codes[i])).status === 200) fail(`recovery code ${i} accepted twice`);
  if (c.activationAcked && (await exchange(baseUrl, c.apiToken, c.activationPasscode)).status === 200) fail('the activation passcode was accepted again');
  return out;
}

async function createClients(databaseUrl: string, round: number, count: number): Promise<ClientState[]> {
  const store = await openStore(databaseUrl);
  try {
    const out: ClientState[] = [];
    for (let i = 0; i < count; i++) {
      const username = `crash-r${round}-c${i}-${randomBytes(3).toString('hex')}`;
      const user = await createUser(store, systemClock, { username, passwordHash: await hashPassword(`pw-${username}`) });
      const apiToken = await createApiToken(store, systemClock, user.id);
      out.push({
        username,
        apiToken,
        activationAcked: false,
        activationInFlight: false,
        codes: [],
        usedAcked: [],
        codeInFlight: false,
        wrongAcked: 0,
        failuresInARow: 0,
      });
    }
    return out;
  } finally {
    await store.close();
  }
}

/** A torn tail: part of a frame after the last commit, as a kill in the middle of a WAL write leaves it. */
function tearWalTail(databaseUrl: string, random: () => number): boolean {
  const path = sqlitePath(databaseUrl);
  if (!path) return false;
  const wal = `${path}-wal`;
  if (!existsSync(wal) || statSync(wal).size === 0) return false;
  const length = 1 + Math.floor(random() * 4000);
  appendFileSync(wal, Buffer.from(Array.from({ length }, () => Math.floor(random() * 256))));
  return true;
}

export async function runCrashConsistency(options: {
  databaseUrl: string;
  dir: string;
  seed: number;
  kills: number;
  clientsPerRound?: number;
  maxKillDelayMs?: number;
  port?: number;
  onRound?: (round: number, report: CrashReport) => void;
}): Promise<CrashReport> {
  const { databaseUrl, dir, seed, kills, clientsPerRound = 4, maxKillDelayMs = 1500 } = options;
  const random = prng(seed);
  const keyFile = join(dir, 'master.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const server = new Server(databaseUrl, keyFile, options.port ?? 20000 + Math.floor(random() * 20000));
  const report: CrashReport = {
    store: sqlitePath(databaseUrl) ? 'sqlite' : 'postgres',
    seed,
    kills: 0,
    tornTails: 0,
    acknowledged: { activations: 0, recoveryCodes: 0, failures: 0 },
    checked: { clients: 0, lockouts: 0, replays: 0 },
    violations: [],
  };
  let previous: ClientState[] = [];
  try {
    for (let round = 0; round < kills; round++) {
      const clients = await createClients(databaseUrl, round, clientsPerRound);
      await server.start();
      // After each restart: the clients of the round before, whose last requests were cut by the kill.
      for (const c of previous)
        report.violations.push(...(await checkClient(server.baseUrl, c, report.checked)).map((v) => `seed ${seed} kill ${round}: ${v}`));
      const running = clients.map((c) => runClient(server.baseUrl, c));
      await new Promise((r) => setTimeout(r, Math.floor(random() * maxKillDelayMs)));
      await server.kill();
      await Promise.all(running);
      report.kills++;
      if (random() < 0.3 && tearWalTail(databaseUrl, random)) report.tornTails++;
      for (const c of clients) {
        report.acknowledged.activations += c.activationAcked ? 1 : 0;
        report.acknowledged.recoveryCodes += c.usedAcked.length;
        report.acknowledged.failures += c.wrongAcked;
      }
      previous = clients;
      options.onRound?.(round, report);
    }
    await server.start();
    for (const c of previous) report.violations.push(...(await checkClient(server.baseUrl, c, report.checked)).map((v) => `seed ${seed} final: ${v}`));
  } finally {
    await server.kill();
  }
  return report;
}
