// `node --import tsx bench/pg-ab.ts --tree A --tree B [--rounds N] --dir DIR --database postgres://… --redis redis://…`:
// the PostgreSQL + Redis status server of two (or more) built trees, one after the other in every round (A, B, A,
// B, …), on the store and tokens of a previous `npm run bench -- --only status --database … --dir DIR` run, with the
// bench's pinning and load (64 connections). Prints each server's CPU µs per request per round and their medians:
// `npm run bench --compare` runs another tree's SQLite server only. Not a test.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMicros, fmt, generate, median, row } from './measure.js';
import { freePort, STATUS_PATH, waitForFirstAnswer } from './targets.js';

const { values: args } = parseArgs({
  options: {
    tree: { type: 'string', multiple: true },
    dir: { type: 'string', default: '.bench/pg' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    database: { type: 'string' },
    redis: { type: 'string' },
  },
});
const trees = (args.tree ?? []).map((t) => resolve(t));
if (trees.length === 0 || !args.database || !args.redis)
  throw new Error('usage: pg-ab.ts --tree A --tree B --database postgres://… --redis redis://… [--dir DIR]');
const dir = resolve(args.dir as string);

async function measure(tree: string) {
  const port = await freePort();
  const serverArgs = [join(tree, 'bin', 'principal-mfa'), 'serve', '--port', String(port), '--database', args.database as string];
  serverArgs.push('--master-key-file', join(dir, 'master.key'), '--log-level', 'info', '--redis', args.redis as string);
  const server = spawn('taskset', ['-c', '0', process.execPath, ...serverArgs], { stdio: ['ignore', openSync(join(dir, 'server-ab.log'), 'w'), 'inherit'] });
  const exited = new Promise((r) => server.once('exit', r));
  try {
    await waitForFirstAnswer(port);
    return await generate(
      { serverCore: ['taskset', '-c', '0'], generatorCore: ['taskset', '-c', '1'] },
      {
        port,
        path: STATUS_PATH,
        tokensFile: join(dir, 'tokens-postgres.json'),
        connections: 64,
        warmupMs: Number(args.warmup) * 1000,
        durationMs: Number(args.duration) * 1000,
        maxRequests: Number.MAX_SAFE_INTEGER,
        serverPid: server.pid,
      },
    );
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}

const figures = new Map<string, number[]>(trees.map((t) => [t, []]));
for (let round = 1; round <= Number(args.rounds); round++) {
  console.log(`round ${round}/${args.rounds}`);
  for (const tree of trees) {
    const result = await measure(tree);
    figures.get(tree)!.push(cpuMicros(result));
    console.log(row(tree.slice(-26), result));
  }
}
console.log('server CPU µs per request (median of rounds; per round):');
for (const [tree, xs] of figures) console.log(`  ${fmt(median(xs), 1).padStart(7)}  ${tree}  (${xs.map((x) => fmt(x, 1)).join(', ')})`);
