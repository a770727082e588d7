// Crash consistency: the real `serve` process, SIGKILLed at seeded random moments while clients register
// and activate devices, spend recovery codes and fail passcodes (toward the lockout); after every restart
// each invariant of docs/reliability.md is checked over HTTP against what the clients were told.
// On SQLite some kills are followed by a torn tail appended to the WAL (a frame cut short, as a kill in
// the middle of a write leaves it): the store must open and serve without repair.
import { randomBytes, randomInt } from 'node:crypto';
import { Agent, setGlobalDispatcher } from 'undici';
import { appendFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base32Decode } from '../src/mfa/base32.js';
import { timeStep, totpAt } from '../src/mfa/totp.js';
import { hashPassword } from '../src/principals/passwords.js';
import {
  checkImport,
  checkRotation,
  type ImportRun,
  type RotationRun,
  settleImport,
  settleRotation,
  signingState,
  startImport,
  startRotation,
  writeImportFile,
} from './crash-admin.js';
import { buildStandbyEntry, CRASH_LOCKOUT_THRESHOLD, Server, StandbyProcess } from './processes.js';
import { createUser } from '../src/principals/users.js';
import { openStore, sqlitePath } from '../src/storage/database.js';
import { systemClock } from '../src/clock.js';
import { createApiToken } from '../src/tokens/api-tokens.js';

const API = '/csp/gateway/iam/vmwid/api/principal/mfa';
const EXCHANGE = '/csp/gateway/am/api/auth/api-tokens/authorize';
export { CRASH_LOCKOUT_THRESHOLD, Server };

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
  acknowledged: { activations: number; recoveryCodes: number; failures: number; rotations: number; imports: number };
  /**
   * How often the checks that need a particular history ran (a lockout check needs a run of failures);
   * rotations and imports: CLI runs checked, of which killed (SIGKILLed themselves) and, for imports,
   * partial (killed between two batches, so that some but not all users were in).
   */
  checked: {
    clients: number;
    lockouts: number;
    replays: number;
    rotations: number;
    rotationsKilled: number;
    imports: number;
    importsKilled: number;
    importsPartial: number;
  };
  violations: string[];
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

/** Requests in one client's life (below): the exchange, the device, its activation, 4 codes and 4 + 6 failures. */
const REQUESTS_PER_CLIENT = 3 + 4 * 2 + CRASH_LOCKOUT_THRESHOLD + 2;

/**
 * Counts the answers the round's clients received. The kill comes after a seeded number of them rather than
 * after a seeded delay: on a loaded machine a delay of 1.5 s could end every round before the first
 * activation, while a count lands kills all along the clients' lives whatever the machine's speed.
 */
class Progress {
  private count = 0;
  private waiters: { n: number; resolve: () => void }[] = [];
  answered(): void {
    this.count++;
    this.waiters = this.waiters.filter((w) => (w.n <= this.count ? (w.resolve(), false) : true));
  }
  reached(n: number): Promise<void> {
    return n <= this.count ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/** One client's life: register a device, activate it, then spend recovery codes and fail passcodes until killed. */
async function runClient(baseUrl: string, c: ClientState, progress: Progress): Promise<void> {
  try {
    const first = await exchange(baseUrl, c.apiToken);
    progress.answered();
    if (first.status !== 200) return;
    c.accessToken = first.body.access_token;
    const created = await post(baseUrl, `${API}/device`, c.accessToken!, { deviceName: `crash ${c.username}` });
    progress.answered();
    if (created.status !== 201) return;
    c.secret = base32Decode(((await created.json()) as { secret: string }).secret);
    c.activationPasscode = totpAt(c.secret, timeStep(Date.now()));
    c.activationInFlight = true;
    const activated = await post(baseUrl, `${API}/device/activate`, c.accessToken!, { passcode: c.activationPasscode });
    progress.answered();
    if (activated.status !== 200) return;
    c.codes = ((await activated.json()) as { recoveryCodes: string[] }).recoveryCodes;
    c.activationAcked = true;
    c.activationInFlight = false;
    // Codes 0..3 are spent between failures (a success ends a run of failures), then a run of failures
    // that must lock the principal; codes 8 and 9 stay unused for the checks after the restart.
    for (let i = 0; i < 4; i++) {
      c.codeInFlight = true;
      const spent = await exchange(baseUrl, c.apiToken, c.codes[i]);
      progress.answered();
      c.codeInFlight = false;
      if (spent.status === 200) {
        c.usedAcked.push(i);
        c.failuresInARow = 0;
      }
      await wrongOnce(baseUrl, c, progress);
    }
    for (let i = 0; i < CRASH_LOCKOUT_THRESHOLD + 2; i++) await wrongOnce(baseUrl, c, progress);
  } catch {
    // The kill: whatever was in flight is in doubt, and the invariants allow either outcome for it.
  }
}

async function wrongOnce(baseUrl: string, c: ClientState, progress: Progress): Promise<void> {
  const wrong = await exchange(baseUrl, c.apiToken, wrongPasscode(c.secret!));
  progress.answered();
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

/** The clients of every round (and a probe principal for the key checks), created before the first start. */
async function createClients(databaseUrl: string, rounds: number, count: number): Promise<{ rounds: ClientState[][]; probeApiToken: string }> {
  const store = await openStore(databaseUrl);
  try {
    const run = randomBytes(3).toString('hex');
    const make = async (username: string): Promise<ClientState> => {
      // No password: the clients only use their API tokens (and a password hash costs a scrypt each).
      const user = await createUser(store, systemClock, { username });
      const apiToken = await createApiToken(store, systemClock, user.id);
      return {
        username,
        apiToken,
        activationAcked: false,
        activationInFlight: false,
        codes: [],
        usedAcked: [],
        codeInFlight: false,
        wrongAcked: 0,
        failuresInARow: 0,
      };
    };
    const out: ClientState[][] = [];
    for (let round = 0; round < rounds; round++) {
      const clients: ClientState[] = [];
      for (let i = 0; i < count; i++) clients.push(await make(`crash-r${round}-c${i}-${run}`));
      out.push(clients);
    }
    return { rounds: out, probeApiToken: (await make(`crash-probe-${run}`)).apiToken };
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

/** What the admin CLI does in a round, drawn one round ahead so that its processes can load in time. */
interface AdminPlan {
  rotation?: StandbyProcess;
  import?: StandbyProcess;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runCrashConsistency(options: {
  databaseUrl: string;
  dir: string;
  seed: number;
  kills: number;
  clientsPerRound?: number;
  /** The admin commands start within this time after the clients. */
  adminStartWindowMs?: number;
  /** The share of rounds with a `keys rotate`, and with a `users import`, running while the server is killed. */
  adminShare?: number;
  port?: number;
  onRound?: (round: number, report: CrashReport) => void;
}): Promise<CrashReport> {
  const { databaseUrl, dir, seed, kills, clientsPerRound = 4, adminStartWindowMs = 1500, adminShare = 0.25 } = options;
  const random = prng(seed);
  // A new connection per request: fetch keeps connections alive, and under load a connection to the server
  // killed in the round before was reused after the restart ('other side closed') before its close was seen.
  setGlobalDispatcher(new Agent({ pipelining: 0 }));
  const keyFile = join(dir, 'master.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  // Not from the seed: two runs with one seed (SQLite and PostgreSQL side by side) once shared a port, and one
  // run's requests reached the other run's server. Below the ephemeral range (32768–60999 on Linux): a port
  // from there is free while the server is down between two kills, and another test's server can take it.
  const server = new Server(databaseUrl, keyFile, options.port ?? 20000 + randomInt(12000));
  const report: CrashReport = {
    store: sqlitePath(databaseUrl) ? 'sqlite' : 'postgres',
    seed,
    kills: 0,
    tornTails: 0,
    acknowledged: { activations: 0, recoveryCodes: 0, failures: 0, rotations: 0, imports: 0 },
    checked: { clients: 0, lockouts: 0, replays: 0, rotations: 0, rotationsKilled: 0, imports: 0, importsKilled: 0, importsPartial: 0 },
    violations: [],
  };
  await buildStandbyEntry();
  const importHash = await hashPassword('imported password');
  const { rounds, probeApiToken } = await createClients(databaseUrl, kills, clientsPerRound);
  const plan = (): AdminPlan => ({
    rotation: random() < adminShare ? new StandbyProcess() : undefined,
    import: random() < adminShare ? new StandbyProcess() : undefined,
  });
  let next = plan();
  let current: AdminPlan = {};
  let previous: { clients: ClientState[]; rotation?: RotationRun; import?: ImportRun } = { clients: [] };
  const checkPrevious = async (label: string) => {
    const found = await Promise.all(previous.clients.map((c) => checkClient(server.baseUrl, c, report.checked)));
    if (previous.rotation) {
      report.checked.rotations++;
      found.push((await checkRotation(server.baseUrl, probeApiToken, previous.rotation)).map((v) => `keys rotate: ${v}`));
    }
    if (previous.import) {
      report.checked.imports++;
      const { violations, partial } = await checkImport(databaseUrl, previous.import, importHash);
      if (partial) report.checked.importsPartial++;
      found.push(violations.map((v) => `users import: ${v}`));
    }
    report.violations.push(...found.flat().map((v) => `seed ${seed} ${label}: ${v}`));
  };
  try {
    for (let round = 0; round < kills; round++) {
      const clients = rounds[round]!;
      const admin = (current = next);
      await server.start();
      // The next round's processes load while this one runs; only their start is left for their turn.
      server.prepareNext();
      next = round + 1 < kills ? plan() : {};
      // After each restart: the clients (and CLI runs) of the round before, whose last requests were cut by the kill.
      await checkPrevious(`kill ${round}`);
      const importFile = admin.import ? writeImportFile(dir, round, importHash) : undefined;
      const before = admin.rotation ? await signingState(server.baseUrl, probeApiToken) : undefined;
      const progress = new Progress();
      const running = clients.map((c) => runClient(server.baseUrl, c, progress));
      // After 0 to all of the clients' answers, then 0–30 ms more, so that kills also land mid-request.
      const [killAfterAnswers, killDelay] = [Math.floor(random() * (clients.length * REQUESTS_PER_CLIENT + 1)), Math.floor(random() * 30)];
      // The CLI runs start anywhere in the round; some are killed themselves a little later.
      const cli: Promise<void>[] = [];
      let rotation: RotationRun | undefined;
      let imported: ImportRun | undefined;
      if (admin.rotation) {
        const [at, killAfter] = [Math.floor(random() * adminStartWindowMs), random() < 0.3 ? Math.floor(random() * 400) : undefined];
        cli.push(
          sleep(at).then(async () => {
            rotation = startRotation(databaseUrl, keyFile, admin.rotation!, before!);
            if (killAfter !== undefined) {
              await sleep(killAfter);
              rotation.killed = rotation.proc.running;
              await rotation.proc.kill();
            }
            await settleRotation(rotation);
          }),
        );
      }
      if (admin.import) {
        const [at, killAfter] = [Math.floor(random() * adminStartWindowMs), random() < 0.5 ? Math.floor(random() * 600) : undefined];
        cli.push(
          sleep(at).then(async () => {
            imported = startImport(databaseUrl, admin.import!, importFile!);
            if (killAfter !== undefined) {
              await sleep(killAfter);
              imported.killed = imported.proc.running;
              await imported.proc.kill();
            }
            await settleImport(imported);
          }),
        );
      }
      await Promise.race([progress.reached(killAfterAnswers), Promise.all(running)]);
      await sleep(killDelay);
      await server.kill();
      await Promise.all(running);
      // Nothing may hold the store when its WAL is torn: the CLI runs finish (or were killed) first.
      await Promise.all(cli);
      report.kills++;
      if (random() < 0.3 && tearWalTail(databaseUrl, random)) report.tornTails++;
      for (const c of clients) {
        report.acknowledged.activations += c.activationAcked ? 1 : 0;
        report.acknowledged.recoveryCodes += c.usedAcked.length;
        report.acknowledged.failures += c.wrongAcked;
      }
      const finished = (run?: RotationRun | ImportRun) => run !== undefined;
      if (finished(rotation)) {
        report.acknowledged.rotations += rotation!.acknowledgedKid ? 1 : 0;
        report.checked.rotationsKilled += rotation!.killed ? 1 : 0;
      }
      if (finished(imported)) {
        report.acknowledged.imports += imported!.acknowledged ? 1 : 0;
        report.checked.importsKilled += imported!.killed ? 1 : 0;
      }
      previous = { clients, rotation, import: imported };
      options.onRound?.(round, report);
    }
    await server.start();
    await checkPrevious('final');
  } finally {
    await server.close();
    await Promise.all([current, next].flatMap((p) => [p.rotation?.kill(), p.import?.kill()]));
  }
  return report;
}
