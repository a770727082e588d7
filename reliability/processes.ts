// The processes the crash and soak harnesses run: `principal-mfa serve` and admin commands, each a real
// process of its own, built from the TypeScript sources at the start of the run. Start-up used to be most
// of a crash round: under tsx a process spends ~4.5 s of CPU transpiling and loading ~1,000 modules before
// it opens anything. Two things make it cheap:
// - one esbuild bundle of the sources and their pure-JS dependencies, built once per run (under a second),
//   loads in ~0.5 s of CPU; packages that read files next to themselves (pino's transports, the Swagger
//   UI's assets, native drivers) stay outside it and load from node_modules as usual;
// - a process is started *on standby* (reliability/standby-entry.ts): it loads while the previous server
//   still runs and only receives its argv (so opens the store) when its turn comes.
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');
/**
 * Two levels below the repository, as dist/<dir>/ is: the sources find public/ at `../../public` from
 * their own module, and node_modules/ is found by walking up. One file per harness process: two runs side by
 * side must not rewrite each other's bundle; removed when the harness exits.
 */
const BUNDLE = join(ROOT, 'node_modules', '.cache', `principal-mfa-standby-${process.pid}.mjs`);
/** Read files relative to their own module, or are native: loaded from node_modules, not bundled. */
const UNBUNDLED = ['better-sqlite3', 'pg-native', 'pino', 'thread-stream', '@fastify/swagger', '@fastify/swagger-ui', 'ioredis'];
let built: Promise<void> | undefined;

/** Bundles reliability/standby-entry.ts with the current sources (once per process). */
export function buildStandbyEntry(): Promise<void> {
  built ??= build({
    entryPoints: [join(import.meta.dirname, 'standby-entry.ts')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: UNBUNDLED,
    // The CommonJS packages inside an ES module bundle still need `require` for Node's built-ins.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    logLevel: 'warning',
  }).then(() => {
    process.once('exit', () => rmSync(BUNDLE, { force: true }));
  });
  return built;
}

/** Low, so that the crash clients reach the lockout within a round. */
export const CRASH_LOCKOUT_THRESHOLD = 4;

/** A CLI process loaded ahead of time; `run(argv)` starts the command, `exited` settles when it ends. */
export class StandbyProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Call buildStandbyEntry() first. */
  constructor() {
    this.child = spawn(process.execPath, [BUNDLE], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (c) => (this.stdout += c));
    this.child.stderr!.on('data', (c) => (this.stderr += c));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    // A standby killed before its turn has nobody reading its stdin: ignore the write error that follows.
    this.child.stdin!.on('error', () => {});
  }
  run(argv: string[]): void {
    this.child.stdin!.end(`${JSON.stringify(argv)}\n`);
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** A real `serve` process on a store of its own; `extraArgs` add flags. */
export class Server {
  child?: ChildProcess;
  private current?: StandbyProcess;
  private next?: StandbyProcess;
  constructor(
    private readonly databaseUrl: string,
    private readonly keyFile: string,
    readonly port: number,
    private readonly extraArgs: string[] = [],
  ) {}
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  private argv(): string[] {
    const args = ['serve', '--database', this.databaseUrl, '--master-key-file', this.keyFile, '--port', String(this.port), '--host', '127.0.0.1'];
    args.push('--log-level', 'silent');
    args.push('--lockout-threshold', String(CRASH_LOCKOUT_THRESHOLD));
    args.push('--rate-limit-per-minute', '1000000', '--failed-auth-per-minute', '1000000', '--api-token-exchanges-per-minute', '1000000');
    return [...args, ...this.extraArgs];
  }
  /** Loads the next server process now, so that the next start() only opens the store and listens. */
  prepareNext(): void {
    this.next ??= new StandbyProcess();
  }
  async start(): Promise<void> {
    await buildStandbyEntry();
    const proc = this.next ?? new StandbyProcess();
    this.next = undefined;
    this.current = proc;
    this.child = proc.child;
    proc.run(this.argv());
    for (let i = 0; i < 1200; i++) {
      if (!proc.running) throw new Error(`serve exited with ${proc.child.exitCode}: ${proc.stderr}`);
      const ok = await fetch(`${this.baseUrl}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`serve did not become ready: ${proc.stderr}`);
  }
  async kill(): Promise<void> {
    await this.current?.kill();
  }
  /** Kills the server and the standby process, if any. */
  async close(): Promise<void> {
    await this.kill();
    await this.next?.kill();
    this.next = undefined;
  }
}
