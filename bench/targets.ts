// What `npm run bench` measures: the bare node:http baseline and the real server on a given store.
// A target knows how to start itself pinned to the server core and how to check one answer.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const STATUS_PATH = '/csp/gateway/iam/vmwid/api/principal/mfa/status';

export interface RunningTarget {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface Target {
  name: string;
  /** Whether requests carry the seeded tokens (and so count toward the per-principal limit). */
  authenticated: boolean;
  /** Tokens for this target when its store is not the SQLite one (PostgreSQL), and one to check first. */
  tokensFile?: string;
  sample?: { username: string; accessToken: string };
  /** How many tokens tokensFile holds, when not --tokens (the 1 k-principal store). */
  tokenCount?: number;
  /** Measured for issue 14, item 5 only: its CPU per request against the named target's, not its ratio to bare. */
  scaleOf?: string;
  /** Only the reference of a scaleOf target (its figures are printed, not judged). */
  scaleReference?: boolean;
  /** `--compare`: another tree's server, reported beside the first server rather than against bare. */
  compareOf?: boolean;
  start(): Promise<RunningTarget>;
}

export interface Pinning {
  /** `taskset -c N` prefix, or [] when pinning is unavailable. */
  serverCore: string[];
  generatorCore: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function spawnPinned(pinning: Pinning, args: string[], logFile: string): ChildProcess {
  // BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR' profiles the servers (node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const [command, ...rest] = [...pinning.serverCore, process.execPath, ...nodeArgs, ...args] as [string, ...string[]];
  const log = openSync(logFile, 'w');
  return spawn(command, rest, { stdio: ['ignore', log, log] });
}

/** Waits for the first answer; a process that gives none within 90 s is killed, not left running (the servers start together, pinned to one core: several at once on a busy machine take long). */
async function waitUntilAnswering(port: number, path: string, child: ChildProcess): Promise<void> {
  try {
    await firstAnswer(port, path, child);
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
}

async function firstAnswer(port: number, path: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the process on port ${port} exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing answered on port ${port} within 90 s`);
}

function running(child: ChildProcess, port: number): RunningTarget {
  return {
    port,
    pid: child.pid as number,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function bareTarget(pinning: Pinning, dir: string): Target {
  return {
    name: 'bare node:http',
    authenticated: false,
    async start() {
      const port = await freePort();
      const child = spawnPinned(pinning, [join(import.meta.dirname, 'bare-server.mjs'), String(port)], join(dir, 'bare.log'));
      await waitUntilAnswering(port, STATUS_PATH, child);
      return running(child, port);
    },
  };
}

/** The real server, as an operator starts it: bin/principal-mfa serve, limits at their defaults, logs at info. */
export function serverTarget(
  pinning: Pinning,
  dir: string,
  name: string,
  databaseUrl: string,
  extraArgs: string[] = [],
  /** Another built tree to run (`--compare DIR`: an A/B in the same rounds); this one by default. */
  tree = join(import.meta.dirname, '..'),
): Target {
  return {
    name,
    authenticated: true,
    async start() {
      const port = await freePort();
      const bin = join(tree, 'bin', 'principal-mfa');
      // serve (without --dev) refuses to start without a master key for MFA seeds.
      const masterKeyFile = join(dir, 'master.key');
      if (!existsSync(masterKeyFile)) writeFileSync(masterKeyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
      const args = [bin, 'serve', '--port', String(port), '--database', databaseUrl, '--master-key-file', masterKeyFile, '--log-level', 'info', ...extraArgs];
      const child = spawnPinned(pinning, args, join(dir, `server-${name.replace(/\W+/g, '-')}.log`));
      await waitUntilAnswering(port, '/csp/gateway/am/api/auth/token-public-key?format=jwks', child);
      return running(child, port);
    },
  };
}

/** For the profiling scripts, which start a server by hand: resolves at its first answer (30 s at most). */
export async function waitForFirstAnswer(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      await (await fetch(`http://127.0.0.1:${port}/csp/gateway/am/api/auth/token-public-key?format=jwks`)).arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('the server did not answer');
}
