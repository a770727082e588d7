// A process started ahead of its turn (see reliability/processes.ts): it loads the whole CLI (and the
// PostgreSQL driver) while the previous server is still running, then waits for its argv as one JSON line
// on stdin and runs it exactly as bin/principal-mfa would. The store is opened only after that line, so two
// servers never hold it at once.
import { createInterface } from 'node:readline';
import { runCli } from '../src/cli/main.js';
import '../src/storage/postgres.js';

const lines = createInterface({ input: process.stdin });
const argv = await new Promise<string[]>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line) as string[])));
lines.close();
const code = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
if (argv[0] !== 'serve' || code !== 0) process.exitCode = code;
