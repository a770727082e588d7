// `node --import tsx bench/profile-status.ts`: a CPU profile of the status route under the bench's load, and the
// functions that spend the most of it (self time). Uses the store, tokens and master key of a previous
// `npm run bench -- --only status --dir DIR` run. Not a test.
//   --dir DIR        the bench folder (default .bench/quick)
//   --tree DIR       the built tree to run (default this one; e.g. a `git archive` of an older commit)
//   --seconds N      seconds of measured load after a 2 s warm-up (default 8)
//   --top N          rows of the table (default 30)
//   --database URL   postgres://… (seeded by `npm run bench -- --database URL`; tokens-postgres.json) instead of SQLite
//   --redis URL      limits in Redis
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMicros, fmt, generate } from './measure.js';
import { freePort, STATUS_PATH, waitForFirstAnswer } from './targets.js';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: '.bench/quick' },
    tree: { type: 'string', default: resolve(import.meta.dirname, '..') },
    seconds: { type: 'string', default: '8' },
    top: { type: 'string', default: '30' },
    database: { type: 'string' },
    redis: { type: 'string' },
  },
});
const dir = resolve(args.dir as string);
const tree = resolve(args.tree as string);
const profileDir = join(dir, 'cpu-profile');
rmSync(profileDir, { recursive: true, force: true });
mkdirSync(profileDir, { recursive: true });

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const port = await freePort();
const serverArgs = ['--cpu-prof', '--cpu-prof-dir', profileDir, join(tree, 'bin', 'principal-mfa'), 'serve', '--port', String(port)];
serverArgs.push('--database', args.database ?? `sqlite:${join(dir, 'bench.db')}`, '--master-key-file', join(dir, 'master.key'), '--log-level', 'info');
if (args.redis) serverArgs.push('--redis', args.redis);
const server = spawn('taskset', ['-c', '0', process.execPath, ...serverArgs], {
  stdio: ['ignore', openSync(join(dir, 'server-profiled.log'), 'w'), 'inherit'],
});
const exited = new Promise((r) => server.once('exit', r));
await waitForFirstAnswer(port);
const result = await generate(
  { serverCore: ['taskset', '-c', '0'], generatorCore: ['taskset', '-c', '1'] },
  {
    port,
    path: STATUS_PATH,
    tokensFile: join(dir, args.database ? 'tokens-postgres.json' : 'tokens.json'),
    connections: 64,
    warmupMs: 2000,
    durationMs: Number(args.seconds) * 1000,
    maxRequests: Number.MAX_SAFE_INTEGER,
    serverPid: server.pid,
  },
);
server.kill('SIGTERM');
await exited;

const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('no .cpuprofile written');
const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as { nodes: ProfileNode[]; startTime: number; endTime: number };
const selfHits = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    ? `${url
        .replace(/^file:\/\//, '')
        .replace(tree, '.')
        .replace(/.*node_modules\//, '')}:${lineNumber + 1}`
    : '';
  const key = `${functionName || '(anonymous)'} ${where}`;
  selfHits.set(key, (selfHits.get(key) ?? 0) + (node.hitCount ?? 0));
  total += node.hitCount ?? 0;
}
const micros = cpuMicros(result);
console.log(`${fmt(result.rps)} req/s, non-2xx ${result.non2xx}, server CPU ${fmt(micros, 1)} µs/request (measured window)`);
console.log(`profile: ${file}, ${fmt(total)} samples over the whole run (warm-up included); self time, share of all samples:`);
for (const [key, hits] of [...selfHits].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top)))
  console.log(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
