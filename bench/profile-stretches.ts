// `node --import tsx bench/profile-stretches.ts FILE.cpuprofile [--min-ms 2] [--top 25] [--from S]`: the synchronous
// stretches of a V8 CPU profile (runs of consecutive non-idle samples) longer than --min-ms, each with the
// frames that spent most of it, and the functions that spend the most time inside such stretches. A stretch
// is real work on the thread (or a blocking native call); CPU preemption by other processes shows up as
// gaps between samples, which are reported apart (a delay histogram alone cannot tell the two). Not a test.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values: args, positionals } = parseArgs({
  options: { 'min-ms': { type: 'string', default: '2' }, top: { type: 'string', default: '25' }, from: { type: 'string', default: '0' } },
  allowPositionals: true,
});
const minUs = Number(args['min-ms']) * 1000;
const top = Number(args.top);
/** Seconds of the profile to skip (start-up: loading, JIT, seeding the caches). */
const fromUs = Number(args.from) * 1e6;

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (id: number): string => {
    const f = byId.get(id)!.callFrame;
    const where = f.url ? `${basename(f.url)}:${f.lineNumber + 1}` : '';
    return `${f.functionName || '(anonymous)'} ${where}`.trim();
  };
  const stack = (id: number): string[] => {
    const frames: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) frames.push(label(at));
    return frames;
  };
  const isIdle = (id: number) => byId.get(id)!.callFrame.functionName === '(idle)';

  // A stretch: consecutive samples that are not idle. Its length is the sum of the time deltas of its samples.
  const stretches: { startUs: number; us: number; samples: number[]; maxGapUs: number }[] = [];
  let clock = 0;
  let current: (typeof stretches)[number] | undefined;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    clock += delta;
    if (clock < fromUs) continue;
    const id = profile.samples[i]!;
    if (isIdle(id)) {
      if (current && current.us >= minUs) stretches.push(current);
      current = undefined;
      continue;
    }
    if (!current) current = { startUs: clock, us: 0, samples: [], maxGapUs: 0 };
    else {
      current.us += delta;
      current.maxGapUs = Math.max(current.maxGapUs, delta);
    }
    current.samples.push(id);
  }
  if (current && current.us >= minUs) stretches.push(current);

  // Single calls: consecutive samples in the very same frame (same stack). Under a saturating load the
  // stretches above are long by nature (the loop never idles); these runs are what one call held the thread.
  const calls: { us: number; samples: number; id: number; atUs: number }[] = [];
  {
    let at = 0;
    let run: (typeof calls)[number] | undefined;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0;
      if (at < fromUs) continue;
      const id = profile.samples[i]!;
      if (run && run.id === id) {
        run.us += profile.timeDeltas[i] ?? 0;
        run.samples++;
        continue;
      }
      if (run && !isIdle(run.id)) calls.push(run);
      run = { us: 0, samples: 1, id, atUs: at };
    }
  }

  const totalUs = clock;
  const busyInStretches = stretches.reduce((s, x) => s + x.us, 0);
  console.log(
    `\n${basename(file)}: ${(totalUs / 1e6).toFixed(1)} s profiled, ${stretches.length} stretches ≥ ${minUs / 1000} ms (${(busyInStretches / 1e3).toFixed(0)} ms in them)`,
  );

  // Self and inclusive time inside long stretches, by function (inclusive counted once per sample per function).
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const s of stretches) {
    for (const id of s.samples) {
      const frames = stack(id);
      self.set(frames[0]!, (self.get(frames[0]!) ?? 0) + 1);
      for (const f of new Set(frames)) inclusive.set(f, (inclusive.get(f) ?? 0) + 1);
    }
  }
  const samplesInStretches = stretches.reduce((s, x) => s + x.samples.length, 0) || 1;
  const table = (m: Map<string, number>, title: string) => {
    console.log(`  ${title}:`);
    for (const [name, n] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`    ${((100 * n) / samplesInStretches).toFixed(1).padStart(5)} %  ${name}`);
  };
  table(self, 'self time inside the stretches');
  table(inclusive, 'inclusive time inside the stretches');

  console.log('  longest single calls (samples in brackets: few samples over a long time = the thread was not running):');
  for (const c of calls.sort((a, b) => b.us - a.us).slice(0, 15))
    console.log(`    ${(c.us / 1000).toFixed(1)} ms [${c.samples}] at ${(c.atUs / 1e6).toFixed(2)} s  ${stack(c.id).slice(0, 4).join(' < ')}`);

  console.log('  longest stretches (largest gap between two samples in brackets: preemption or a blocking call):');
  for (const s of [...stretches].sort((a, b) => b.us - a.us).slice(0, 12)) {
    const counts = new Map<string, number>();
    for (const id of s.samples) {
      // The deepest frame of our own code (not node internals), to name what the stretch did.
      const frames = stack(id).filter((f) => /\/(src|dist)\//.test(f) || f.includes('.js:') || f.includes('.ts:'));
      const key = frames.slice(0, 3).join(' < ') || stack(id)[0]!;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const main = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3);
    console.log(`    ${(s.us / 1000).toFixed(1)} ms at ${(s.startUs / 1e6).toFixed(2)} s [gap ${(s.maxGapUs / 1000).toFixed(1)} ms]`);
    for (const [k, n] of main) console.log(`        ${n}× ${k}`);
  }
}
