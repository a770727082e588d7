// The baseline of `npm run bench`: a bare node:http server answering every request with a fixed
// UserMfaStatusDto-shaped JSON body, so the ratio shows what the real server's work costs.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = Buffer.from(JSON.stringify({ activated: false, turnedOn: false, username: 'bench-user-0000001' }));
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length), 'cache-control': 'no-store' };

const server = createServer((request, response) => {
  // Drain the (empty) request so keep-alive works as with any real server.
  request.resume();
  response.writeHead(200, headers);
  response.end(body);
});
server.keepAliveTimeout = 5_000;
server.listen(port, '127.0.0.1', () => {
  // The harness reads the port from this line.
  process.stdout.write(`${JSON.stringify({ listening: server.address().port })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => server.close(() => process.exit(0)));
