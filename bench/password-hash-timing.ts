// The password hash alone, for the sign-in part of authcode-part.ts: run pinned to the server's core, so
// that it is timed on the same core as the sign-in POST it is compared with. Prints the mean in ms.
// Arguments: the stored hash, the password, the number of runs.
import { performance } from 'node:perf_hooks';
import { verifyPassword } from '../src/principals/passwords.js';

const [hash, password, runs] = process.argv.slice(2) as [string, string, string];
let total = 0;
for (let i = 0; i < Number(runs); i++) {
  const t0 = performance.now();
  if (!(await verifyPassword(password, hash))) throw new Error('the password does not match its hash');
  total += performance.now() - t0;
}
process.stdout.write(`${total / Number(runs)}\n`);
