// The access log is lossless: log lines are gathered and written once per event-loop turn, and a real
// `serve` process killed with SIGTERM under load still writes one line for every request it answered.
import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { spawnServe } from './support/serve-process.js';

const STATUS = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
const CONNECTIONS = 16;
/** Answers before the SIGTERM: enough that many turns' worth of lines are gathered and written. */
const ANSWERS_BEFORE_SIGTERM = 2_000;

test('SIGTERM under load: every answered request has its access-log line', async () => {
  const serve = spawnServe('lossless-log', ['--port', '0', '--log-level', 'info']);
  const { child, exited } = serve;
  const logs: Array<Record<string, unknown>> = [];
  const stdoutClosed = new Promise((resolve) => child.stdout!.once('close', resolve));
  let onListening: (address: string) => void = () => undefined;
  const listening = new Promise<string>((resolve) => (onListening = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const entry = JSON.parse(line) as Record<string, unknown>; // every line of stdout is a log line
    logs.push(entry);
    if (entry.msg === 'principal-mfa listening') onListening(entry.address as string);
  });
  try {
    const { port } = new URL(await listening);
    // Unauthenticated status requests (401) on keep-alive connections: each one is logged like any other.
    const answered: string[] = [];
    let onEnough: () => void = () => undefined;
    const enough = new Promise<void>((resolve) => (onEnough = resolve));
    const load = async () => {
      for (;;) {
        let response: Response;
        try {
          response = await fetch(`http://127.0.0.1:${port}${STATUS}`);
          await response.arrayBuffer();
        } catch {
          return; // the server stopped accepting: this connection is done
        }
        answered.push(response.headers.get('x-request-id') as string);
        if (answered.length === ANSWERS_BEFORE_SIGTERM) onEnough();
      }
    };
    const loops = Array.from({ length: CONNECTIONS }, load);
    await enough;
    child.kill('SIGTERM');
    await Promise.all(loops);
    assert.equal(await exited, 0);
    await stdoutClosed;

    const logged = new Set(logs.filter((l) => l.msg === 'request completed').map((l) => l.requestId));
    const missing = answered.filter((id) => !logged.has(id));
    assert.ok(answered.length >= ANSWERS_BEFORE_SIGTERM);
    assert.deepEqual(missing, [], `${missing.length} of ${answered.length} answered requests have no log line`);
    assert.ok(logs.some((l) => l.msg === 'draining and shutting down'));
  } finally {
    serve.dispose();
  }
});
