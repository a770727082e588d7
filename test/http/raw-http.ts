// Raw HTTP/1.1 over a socket, for requests fetch() cannot send (a header repeated on two lines).
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `GET path` with the given header lines (each [name, value], repeats allowed) and reads the whole reply. */
export function rawGet(baseUrl: string, path: string, headerLines: [string, string][]): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close', ...headerLines.map(([n, v]) => `${n}: ${v}`)];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...headerText] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerText) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body = text.slice(split + 4);
      if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, body });
    });
  });
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}
