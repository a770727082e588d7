// SIGTERM on a real `serve` process: it stops accepting, finishes the request in flight, closes its
// store and exits 0.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { eventually, freePort } from '../support/infra.js';
import { spawnServe } from './support/serve-process.js';

test('SIGTERM mid-request drains the request in flight, refuses new connections and exits 0', async () => {
  const serve = spawnServe('sigterm', ['--port', '0']);
  const { child, exited } = serve;
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
    serve.dispose();
  }
});

test('serve --workers 2 runs two server processes on one port and stops them all on SIGTERM with exit 0', async () => {
  const port = await freePort();
  const serve = spawnServe('workers', ['--workers', '2', '--port', String(port)]);
  const { child, exited } = serve;
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
    serve.dispose();
  }
});
