// V8 splits each young-generation collection (a scavenge) between the main thread and helper threads. A server
// confined to one CPU (taskset, a cpuset of one) has nowhere to run those helpers but the core the event loop
// needs: the main thread waits for them while they are scheduled, and the pause grows. Measured in the mixed
// bench phase pinned to one core (docs/benchmarks.md, issue 14 item 4, third pass): scavenges of 16 ms median
// with the helpers against 4.5–4.9 ms without. With more than one CPU the helpers run beside the loop and
// shorten the pause, so the setting is left alone there.
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';

/**
 * Turns the parallel scavenger off when this process may run on one CPU only (os.availableParallelism() honours
 * the CPU affinity mask). V8 reads the flag at every scavenge, so setting it at start-up takes effect for the
 * whole life of the process. Returns whether it did.
 */
export function scavengeOnMainThreadWhenOneCpu(cpus = availableParallelism()): boolean {
  if (cpus > 1) return false;
  setFlagsFromString('--no-parallel-scavenge');
  return true;
}
