// What the parts of `npm run bench` share: running the load generator on its core, and the figures.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { LoadOptions, LoadResult } from './load-generator.js';
import type { Pinning } from './targets.js';

const root = resolve(import.meta.dirname, '..');

export function generate(p: Pinning, options: LoadOptions): Promise<LoadResult> {
  const [command, ...rest] = [
    ...p.generatorCore,
    process.execPath,
    '--import',
    'tsx',
    join(import.meta.dirname, 'load-generator.ts'),
    JSON.stringify(options),
  ] as unknown as [string, ...string[]];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, rest, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with code ${code}`));
      resolvePromise(JSON.parse(out.trim().split('\n').pop() as string) as LoadResult);
    });
  });
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
export const fmt = (n: number, digits = 0) => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** Server CPU time per answered request: steadier than req/s when other work shares the cores. */
export const cpuMicros = (r: LoadResult): number => (r.serverCpuPercent === undefined ? NaN : (r.serverCpuPercent * 10_000) / r.rps);
export const row = (name: string, r: LoadResult) =>
  `  ${name.padEnd(26)} ${fmt(r.rps).padStart(8)} req/s  p50 ${fmt(r.p50Ms, 2).padStart(6)} ms  p99 ${fmt(r.p99Ms, 2).padStart(6)} ms  ` +
  `non-2xx ${r.non2xx}  server cpu ${r.serverCpuPercent === undefined ? '?' : fmt(r.serverCpuPercent)}% (${fmt(cpuMicros(r), 1)} µs/req)  generator cpu ${fmt(r.generatorCpuPercent)}%` +
  `${r.socketErrors ? `  socket errors ${r.socketErrors}` : ''}${r.stoppedEarly ? '  (stopped early: rate-limit budget)' : ''}`;
