// SIGTERM on a real `serve` process: it stops accepting, finishes the request in flight, closes its
// store and exits 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { eventually, freePort } from '../support/infra.js';

const ENTRY = join(import.meta.dirname, 'support', 'cli-entry.ts');

test('SIGTERM mid-request drains the request in flight, refuses new connections and exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pmfa-sigterm-'));
  const keyFile = join(dir, 'master.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', ENTRY, 'serve', '--port', '0', '--database', `sqlite:${join(dir, 'db.sqlite')}`, '--master-key-file', keyFile],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const logs: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line));
      } catch {
        return;
      }
      for (const w of waiters.splice(0)) w();
    });
    const logged = (msg: string) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const check = () => {
          const found = logs.find((l) => l.msg === msg);
          if (found) resolve(found);
          else waiters.push(check);
        };
        check();
      });

    const { address } = (await logged('principal-mfa listening')) as { address: string };
    const { port } = new URL(address);

    // A request whose body is still arriving when SIGTERM lands.
    const body = 'api_token=not-a-real-token';
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let response = '';
    socket.on('data', (chunk) => (response += chunk.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(
      `POST /csp/gateway/am/api/auth/api-tokens/authorize HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    // The server has the request once its health probe on another connection answers after our write.
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);

    child.kill('SIGTERM');
    await logged('draining and shutting down');
    await eventually(
      async () => {
        try {
          await fetch(`http://127.0.0.1:${port}/healthz`);
          return false;
        } catch {
          return true; // refused: no longer accepting
        }
      },
      10_000,
      'new connections refused',
    );

    socket.end(body.slice(5));
    await closed;
    assert.match(response, /^HTTP\/1\.1 400 /, 'the in-flight request got its full answer');
    assert.match(response, /"errorCode":"invalid_grant"/);
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve --workers 2 runs two server processes on one port and stops them all on SIGTERM with exit 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pmfa-workers-'));
  const keyFile = join(dir, 'master.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      ENTRY,
      'serve',
      '--workers',
      '2',
      '--port',
      String(port),
      '--database',
      `sqlite:${join(dir, 'db.sqlite')}`,
      '--master-key-file',
      keyFile,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const messages: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      messages.push(String(JSON.parse(line).msg));
    } catch {
      // not a log line
    }
  });
  try {
    await eventually(async () => messages.filter((m) => m === 'principal-mfa listening').length === 2, 60_000, 'two workers listening');
    for (let i = 0; i < 4; i++) assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(messages.filter((m) => m === 'draining and shutting down').length, 2);
    assert.ok(messages.includes('all workers stopped'));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
