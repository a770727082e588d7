// Runs the CLI from the TypeScript sources (as bin/principal-mfa runs dist/), for tests that spawn a server.
import { runCli } from '../../../src/cli/main.js';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code;
