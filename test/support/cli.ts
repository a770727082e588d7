// The admin CLI run in this process, with no environment: what it prints, and its exit code.
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.js';

export async function runCliInProcess(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const input = new PassThrough();
  input.end(stdin);
  const code = await runCli(args, { stdout, stderr, stdin: input, env: {} });
  return { code, stdout: out, stderr: err };
}
