// `node --import tsx bench/profile-modules.ts FILE.cpuprofile [--skip S] [--top N]`: the self time of a CPU profile
// (e.g. the one `bench/profile-status.ts` leaves in DIR/cpu-profile/) grouped by module (an npm package, a file
// of ours, node's internals), then the top functions, leaving out the first S seconds (start-up and warm-up) and
// counting idle time apart. Written for the PostgreSQL + Redis status path (issue 14, item 2). Not a test.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { skip: { type: 'string', default: '3' }, top: { type: 'string', default: '30' } },
});
if (positionals.length !== 1) throw new Error('usage: profile-modules.ts FILE.cpuprofile [--skip S] [--top N]');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}
const profile = JSON.parse(readFileSync(positionals[0] as string, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

/** The module of a frame: an npm package by name, a file of ours by its path from src/ or bench/, node's internals as one. */
function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const ours = /\/(src|dist|bench)\/(.*)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

const skipMicros = Number(args.skip) * 1e6;
const byModule = new Map<string, number>();
const byFunction = new Map<string, number>();
let elapsed = 0;
let counted = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i++) {
  elapsed += profile.timeDeltas[i] ?? 0;
  if (elapsed < skipMicros) continue;
  const node = byId.get(profile.samples[i] ?? -1);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName === '(idle)') {
    idle++;
    continue;
  }
  counted++;
  const module = moduleOf(url, functionName);
  byModule.set(module, (byModule.get(module) ?? 0) + 1);
  const fn = `${functionName || '(anonymous)'}  ${module}${url ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + 1);
}

const share = (hits: number) => `${((hits / counted) * 100).toFixed(1).padStart(5)} %`;
console.log(`${counted} busy samples after the first ${args.skip} s (idle ${idle}); self time, share of busy samples`);
console.log('\nby module:');
for (const [module, hits] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) console.log(`${share(hits)}  ${module}`);
console.log('\nby function:');
for (const [fn, hits] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) console.log(`${share(hits)}  ${fn}`);
