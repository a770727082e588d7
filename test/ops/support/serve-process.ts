// A real `serve` process (run from the TypeScript sources) on a fresh SQLite file in a temp folder, with its
// stdout, the log, piped to the test.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ENTRY = join(import.meta.dirname, 'cli-entry.ts');

export interface ServeProcess {
  child: ChildProcess;
  /** The exit code. */
  exited: Promise<number | null>;
  /** Kills the process if it still runs and removes its folder. */
  dispose(): void;
}

/** `serve` with these arguments, plus its own database and master key. */
export function spawnServe(name: string, args: string[]): ServeProcess {
  const dir = mkdtempSync(join(tmpdir(), `pmfa-${name}-`));
  const keyFile = join(dir, 'master.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', ENTRY, 'serve', ...args, '--database', `sqlite:${join(dir, 'db.sqlite')}`, '--master-key-file', keyFile],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return {
    child,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    dispose() {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
