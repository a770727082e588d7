// Real PostgreSQL and Redis servers for tests: the shared ones of scripts/test-servers.sh, or private
// ones a test may stop and start again to play an outage.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** URLs of the shared test servers, starting them (idempotently) when the run did not. */
export function sharedServerUrls(): { postgres: string; redis: string } {
  let postgres = process.env.PRINCIPAL_MFA_TEST_PG_SERVER_URL;
  let redis = process.env.PRINCIPAL_MFA_TEST_REDIS_SERVER_URL;
  if (!postgres || !redis) {
    const out = execFileSync('bash', [join(import.meta.dirname, '../../scripts/test-servers.sh'), 'start'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    postgres ??= /PRINCIPAL_MFA_TEST_PG_SERVER_URL=(\S+)/.exec(out)?.[1];
    redis ??= /PRINCIPAL_MFA_TEST_REDIS_SERVER_URL=(\S+)/.exec(out)?.[1];
    if (!postgres || !redis) throw new Error(`scripts/test-servers.sh gave no URLs: ${out}`);
    process.env.PRINCIPAL_MFA_TEST_PG_SERVER_URL = postgres;
    process.env.PRINCIPAL_MFA_TEST_REDIS_SERVER_URL = redis;
  }
  return { postgres, redis };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Poll until `check` holds, or fail after `timeoutMs` (a bound on waiting, not a timing assertion). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not hold within ${timeoutMs} ms`);
}

export interface ServerControl {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stop and remove everything. */
  dispose(): Promise<void>;
}

/** A private redis-server on a free loopback port, with no persistence. */
export async function privateRedis(): Promise<ServerControl> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pmfa-redis-'));
  let child: ReturnType<typeof spawn> | undefined;
  const control: ServerControl = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
      await eventually(async () => (await run('redis-cli', ['-p', String(port), 'ping'])).stdout.trim() === 'PONG', 10_000, 'redis-server start');
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL'); // an abrupt outage, not a polite shutdown
      await exited;
    },
    async dispose() {
      await control.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await control.start();
  return control;
}

function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
}

/** PostgreSQL refuses to run as root: run its tools as the postgres user then. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export interface PostgresControl extends ServerControl {
  /** SIGSTOP every server process: connections hang instead of failing (a stuck server or network). */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

/** A private PostgreSQL cluster on a free loopback port (URL names its `postgres` database). */
export async function privatePostgres(): Promise<PostgresControl> {
  const port = await freePort();
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'pmfa-pg-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
    chownSync(data, uid, gid);
  }
  await run(...asPostgres(`${bin}/initdb`, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']));
  const pgCtl = (...args: string[]) => run(...asPostgres(`${bin}/pg_ctl`, ['-D', data, ...args]));
  const serverPids = (): number[] => {
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);
    return [postmaster, ...children];
  };
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of serverPids()) process.kill(pid, signal);
  };
  const control: PostgresControl = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async freeze() {
      signalAll('SIGSTOP');
    },
    async thaw() {
      signalAll('SIGCONT');
    },
    async start() {
      await pgCtl('-l', join(dir, 'log'), '-w', 'start', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`);
    },
    async stop() {
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
    },
    async dispose() {
      await control.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await control.start();
  return control;
}

function postgresIds(): { uid: number; gid: number } {
  const [uid, gid] = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    .trim()
    .concat(' ', execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    .split(' ')
    .map(Number);
  return { uid: uid!, gid: gid! };
}
