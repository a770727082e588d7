// Byte-for-byte HTTP/1.1 requests over a real socket, as a given client sends them (its headers, its
// order, its body), and the answer read back and checked against the server's OpenAPI document.
import { connect } from 'node:net';
import { checkResponse } from '../support/openapi-check.js';
import type { TestServer } from '../support/server.js';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ClientShape {
  method: string;
  /** Path and query exactly as the client puts them on the request line. */
  target: string;
  /** Header lines in the client's order, without Host (added first, as clients do). */
  headers: [string, string][];
  body?: string;
}

/** Sends one request on a fresh connection and reads exactly one response (Content-Length or chunked). */
export function sendRaw(baseUrl: string, shape: ClientShape, host?: string): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  const lines = [`${shape.method} ${shape.target} HTTP/1.1`, `Host: ${host ?? url.host}`, ...shape.headers.map(([n, v]) => `${n}: ${v}`)];
  const bytes = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(shape.body ?? '', 'utf8')]);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(bytes));
    let received = Buffer.alloc(0);
    const finish = (answer: RawAnswer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const answer = parseAnswer(received);
      if (answer) finish(answer);
    });
    socket.on('end', () => reject(new Error(`connection closed before a complete answer: ${received.toString('utf8').slice(0, 200)}`)));
  });
}

function parseAnswer(data: Buffer): RawAnswer | undefined {
  const split = data.indexOf('\r\n\r\n');
  if (split < 0) return undefined;
  const [statusLine, ...headerLines] = data.subarray(0, split).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = data.subarray(split + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const body = dechunk(rest);
    return body === undefined ? undefined : { status: Number(statusLine?.split(' ')[1]), headers, body };
  }
  const length = Number(headers['content-length'] ?? 0);
  if (rest.length < length) return undefined;
  return { status: Number(statusLine?.split(' ')[1]), headers, body: rest.subarray(0, length).toString('utf8') };
}

function dechunk(data: Buffer): string | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts).toString('utf8');
    if (data.length < eol + 2 + size + 2) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Sends a client's request and checks the answer against the OpenAPI document before returning it. */
export async function sendAs(server: TestServer, shape: ClientShape, host?: string): Promise<RawAnswer> {
  const answer = await sendRaw(server.baseUrl, shape, host);
  await checkResponse(server.app, shape.method, shape.target, answer.status, answer.body, answer.headers['content-type'] ?? null);
  return answer;
}

/** Content-Length for a body, as every client computes it: bytes, not characters. */
export const lengthOf = (body: string): [string, string] => ['Content-Length', String(Buffer.byteLength(body))];
