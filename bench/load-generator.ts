// The load generator of `npm run bench`, run in its own process (pinned to its own core): keep-alive
// HTTP/1.1 connections over loopback, one request in flight per connection, each request carrying the
// next token of a shared rotation. Prints one JSON result line. Written here rather than taken from
// npm because it must rotate 10,000 tokens across connections from prebuilt buffers at little cost.
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { hotp, timeStep } from '../src/mfa/totp.js';

export interface LoadOptions {
  port: number;
  path: string;
  /** JSON file holding an array of csp-auth-token values, sent in rotation. */
  tokensFile?: string;
  /** POST the API-token exchange instead: API tokens in rotation (refresh_token=…), with a fresh TOTP passcode when seeded. */
  exchange?: { apiTokensFile: string } | { totpFile: string };
  /** POST authorization-code exchanges instead: each code of the file once, with the client's Basic credentials and PKCE verifier. */
  authcode?: { codesFile: string; authorization: string; redirectUri: string; codeVerifier: string };
  connections: number;
  warmupMs: number;
  durationMs: number;
  /** Stop early once this many requests (warm-up included) have been sent: keeps every token under the rate limit. */
  maxRequests: number;
  /** The server's pid, to report how busy its core was while measured (its child processes included: --workers). */
  serverPid?: number;
  /**
   * Open loop: send this many requests a second on a fixed schedule, whether or not earlier ones were answered
   * (`connections` is then the most in flight at once; a request due while all are busy waits for one). Latency
   * is counted from the request's scheduled time, so a stalled server shows in it. Without it: a closed loop,
   * each connection sending its next request when the previous one is answered.
   */
  ratePerSecond?: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
  non2xx: number;
  socketErrors: number;
  /** Requests per token over warm-up and measurement (the most any one token got). */
  maxPerToken: number;
  serverCpuPercent?: number;
  generatorCpuPercent: number;
  stoppedEarly: boolean;
  /** Open loop only: the rate asked for, and how many requests had to wait for a free connection past their time. */
  offeredRps?: number;
  queuedRequests?: number;
  /** Open loop only: requests due in the window that were not answered by its end (not in the latency figures). */
  unansweredAtEnd?: number;
}

const BUCKET_US = 10; // latency histogram resolution
const BUCKETS = 1_000_000; // 10 s; anything slower lands in the last bucket

/** A process's /proc/PID/stat fields after the command name (field 3 onwards), or undefined once it is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The process and its children (a `serve --workers N` primary's workers; taskset's child). */
function processTree(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => statFields(child)?.[1] === String(pid));
  return [pid, ...children.flatMap(processTree)];
}

/** utime + stime of processes, in clock ticks (100 per second on Linux). */
function cpuTicks(pids: number[]): number | undefined {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    if (!fields) return undefined;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks;
}

/** A TOTP passcode is accepted once per time step per principal: rotate over principals, skip one already used in this step. */
function totpRequests(o: LoadOptions, file: string): { count: number; next(index: number): Buffer | undefined } {
  const seeded = JSON.parse(readFileSync(file, 'utf8')) as { apiToken: string; secretHex: string }[];
  const secrets = seeded.map((s) => Buffer.from(s.secretHex, 'hex'));
  const heads = seeded.map((s) => `refresh_token=${encodeURIComponent(s.apiToken)}&passcode=`);
  const usedInStep = new Float64Array(seeded.length).fill(-1);
  return {
    count: seeded.length,
    next(index) {
      const step = timeStep(Date.now());
      if (usedInStep[index] === step) return undefined;
      usedInStep[index] = step;
      return exchangeRequest(o, `${heads[index]}${hotp(secrets[index] as Uint8Array, step)}`);
    },
  };
}

function exchangeRequest(o: LoadOptions, body: string, extraHeaders = ''): Buffer {
  return Buffer.from(
    `POST ${o.path} HTTP/1.1\r\nHost: 127.0.0.1:${o.port}\r\nAccept: application/json\r\n${extraHeaders}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    'latin1',
  );
}

/** One token request per authorization code (a code is single-use: the run stops when they are all sent). */
function authcodeRequests(o: LoadOptions, a: NonNullable<LoadOptions['authcode']>): Buffer[] {
  const codes = JSON.parse(readFileSync(a.codesFile, 'utf8')) as string[];
  const fixed = `&redirect_uri=${encodeURIComponent(a.redirectUri)}&code_verifier=${encodeURIComponent(a.codeVerifier)}`;
  return codes.map((code) =>
    exchangeRequest(o, `grant_type=authorization_code&code=${encodeURIComponent(code)}${fixed}`, `Authorization: ${a.authorization}\r\n`),
  );
}

/** Prebuilt requests (status with tokens, or exchanges of API tokens), or built per request (TOTP passcodes). */
function buildRequests(o: LoadOptions): { count: number; next(index: number): Buffer | undefined } {
  if (o.exchange && 'totpFile' in o.exchange) return totpRequests(o, o.exchange.totpFile);
  let requests: Buffer[];
  if (o.authcode) {
    requests = authcodeRequests(o, o.authcode);
  } else if (o.exchange) {
    const apiTokens = JSON.parse(readFileSync(o.exchange.apiTokensFile, 'utf8')) as string[];
    requests = apiTokens.map((apiToken) => exchangeRequest(o, `refresh_token=${encodeURIComponent(apiToken)}`));
  } else {
    const tokens: (string | undefined)[] = o.tokensFile ? (JSON.parse(readFileSync(o.tokensFile, 'utf8')) as string[]) : [undefined];
    requests = tokens.map((token) =>
      Buffer.from(
        `GET ${o.path} HTTP/1.1\r\nHost: 127.0.0.1:${o.port}\r\nAccept: application/json\r\n${token ? `csp-auth-token: ${token}\r\n` : ''}\r\n`,
        'latin1',
      ),
    );
  }
  return { count: requests.length, next: (index) => requests[index] };
}

/** Latencies and statuses of the measured requests, and the figures made of them. */
class Recorder {
  private readonly histogram = new Uint32Array(BUCKETS);
  private readonly statuses = new Map<number, number>();
  measured = 0;

  record(status: number, latencyUs: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    this.histogram[Math.min(BUCKETS - 1, Math.floor(latencyUs / BUCKET_US))]!++;
    this.measured++;
  }

  private percentile(p: number): number {
    const rank = Math.ceil((p / 100) * this.measured);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.histogram[i]!;
      if (seen >= rank && seen > 0) return ((i + 1) * BUCKET_US) / 1000;
    }
    return 0;
  }

  figures(seconds: number) {
    let maxBucket = 0;
    for (let i = 0; i < BUCKETS; i++) if (this.histogram[i]) maxBucket = i;
    return {
      requests: this.measured,
      seconds,
      rps: this.measured / seconds,
      p50Ms: this.percentile(50),
      p90Ms: this.percentile(90),
      p99Ms: this.percentile(99),
      maxMs: ((maxBucket + 1) * BUCKET_US) / 1000,
      statuses: Object.fromEntries([...this.statuses].map(([k, v]) => [String(k), v])),
      non2xx: [...this.statuses].filter(([status]) => status < 200 || status > 299).reduce((sum, [, n]) => sum + n, 0),
    };
  }
}

/** A keep-alive connection's answers, one at a time: calls `answered(status)` when a whole response has arrived. */
function responseReader(answered: (status: number) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const headerEnd = pending.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const head = pending.toString('latin1', 0, headerEnd);
    const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!lengthMatch) throw new Error(`response without content-length: ${head.split('\r\n', 1)[0]}`);
    const total = headerEnd + 4 + Number(lengthMatch[1]);
    if (pending.length < total) return;
    pending = pending.subarray(total);
    answered(Number(head.slice(9, 12)));
  };
}

/** The server's and this process's CPU over the measured window. */
function cpuWindow(o: LoadOptions) {
  const cpu0 = process.cpuUsage();
  const serverPids = o.serverPid ? processTree(o.serverPid) : [];
  const server0 = o.serverPid ? cpuTicks(serverPids) : undefined;
  return (seconds: number) => {
    const server1 = o.serverPid ? cpuTicks(serverPids) : undefined;
    const cpu = process.cpuUsage(cpu0);
    return {
      ...(server0 !== undefined && server1 !== undefined ? { serverCpuPercent: (server1 - server0) / seconds } : {}),
      generatorCpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
    };
  };
}

export async function generateLoad(o: LoadOptions): Promise<LoadResult> {
  return o.ratePerSecond === undefined ? generateClosedLoad(o) : generateOpenLoad(o, o.ratePerSecond);
}

async function generateClosedLoad(o: LoadOptions): Promise<LoadResult> {
  const requests = buildRequests(o);
  const perToken = new Uint32Array(requests.count);
  const recorder = new Recorder();
  let sent = 0;
  let rotation = 0;
  let measuring = false;
  let running = true;
  let stoppedEarly = false;
  let socketErrors = 0;

  const startConnection = (): Promise<void> =>
    new Promise((resolve) => {
      let socket: Socket;
      let sentAt = 0;
      const send = () => {
        if (!running || sent >= o.maxRequests) {
          if (running) stoppedEarly = true;
          socket.end();
          return;
        }
        // A TOTP principal already used in this time step is skipped; all of them used: stop early.
        let request: Buffer | undefined;
        for (let tries = 0; request === undefined && tries < requests.count; tries++) request = requests.next(rotation++ % requests.count);
        if (request === undefined) {
          stoppedEarly = true;
          running = false;
          socket.end();
          return;
        }
        sent++;
        perToken[(rotation - 1) % requests.count]!++;
        sentAt = performance.now();
        socket.write(request);
      };
      const open = () => {
        socket = connect({ port: o.port, host: '127.0.0.1', noDelay: true }, send);
        socket.on(
          'data',
          responseReader((status) => {
            if (measuring) recorder.record(status, (performance.now() - sentAt) * 1000);
            send();
          }),
        );
        socket.on('error', () => socketErrors++);
        socket.on('close', () => {
          // The server may close an idle or refused connection; keep the connection count steady.
          if (running && sent < o.maxRequests) open();
          else resolve();
        });
      };
      open();
    });

  const connections = Array.from({ length: o.connections }, startConnection);
  await new Promise((r) => setTimeout(r, o.warmupMs));
  measuring = true;
  const cpu = cpuWindow(o);
  const t0 = performance.now();
  // Unref: a run that ends early (its request budget spent) must not wait out the duration before exiting.
  await Promise.race([new Promise((r) => setTimeout(r, o.durationMs).unref()), Promise.all(connections)]);
  const seconds = (performance.now() - t0) / 1000;
  const cpuFigures = cpu(seconds);
  measuring = false;
  running = false;
  await Promise.all(connections);
  return {
    ...recorder.figures(seconds),
    socketErrors,
    maxPerToken: perToken.reduce((a, b) => Math.max(a, b), 0),
    ...cpuFigures,
    stoppedEarly,
  };
}

/**
 * Open loop: a 1 ms ticker releases the requests whose time has come (`rate` per second from the start); each
 * goes out on an idle connection, or waits in order for the next one to be freed. Latency runs from the
 * scheduled time, so time spent waiting for a busy server counts (no coordinated omission); it includes the
 * ticker's own lateness too (up to about a millisecond), so read open-loop latencies as upper bounds.
 */
async function generateOpenLoad(o: LoadOptions, rate: number): Promise<LoadResult> {
  const requests = buildRequests(o);
  const perToken = new Uint32Array(requests.count);
  const recorder = new Recorder();
  const due: number[] = []; // scheduled times of requests not yet sent
  const idle: Socket[] = [];
  let scheduled = 0;
  let sent = 0;
  let rotation = 0;
  let queued = 0;
  let socketErrors = 0;
  let stoppedEarly = false;
  let running = true;
  let measureFrom = Infinity;
  let measureUntil = Infinity;
  let open = 0;
  const sockets = new Set<Socket & { scheduledAt?: number }>();
  let allClosed: () => void = () => {};

  /** `waited`: called when a connection came free, so whatever goes out now had been waiting for one. */
  const dispatch = (waited: boolean) => {
    while (running && due.length > 0 && idle.length > 0) {
      if (sent >= o.maxRequests) {
        stoppedEarly = true;
        due.length = 0;
        return;
      }
      let request: Buffer | undefined;
      for (let tries = 0; request === undefined && tries < requests.count; tries++) request = requests.next(rotation++ % requests.count);
      if (request === undefined) {
        stoppedEarly = true;
        due.length = 0;
        return;
      }
      const socket = idle.pop() as Socket & { scheduledAt?: number };
      const scheduledAt = due.shift() as number;
      if (waited) queued++;
      socket.scheduledAt = scheduledAt;
      sent++;
      perToken[(rotation - 1) % requests.count]!++;
      socket.write(request);
    }
  };
  const openConnection = () => {
    open++;
    const socket: Socket & { scheduledAt?: number } = connect({ port: o.port, host: '127.0.0.1', noDelay: true }, () => {
      idle.push(socket);
      dispatch(true);
    });
    sockets.add(socket);
    socket.on(
      'data',
      responseReader((status) => {
        const scheduledAt = socket.scheduledAt as number;
        socket.scheduledAt = undefined;
        if (scheduledAt >= measureFrom && scheduledAt <= measureUntil) recorder.record(status, (performance.now() - scheduledAt) * 1000);
        if (!running) return void socket.end();
        idle.push(socket);
        dispatch(true);
      }),
    );
    socket.on('error', () => socketErrors++);
    socket.on('close', () => {
      open--;
      sockets.delete(socket);
      const at = idle.indexOf(socket);
      if (at >= 0) idle.splice(at, 1);
      if (running) openConnection();
      else if (open === 0) allClosed();
    });
  };
  for (let i = 0; i < o.connections; i++) openConnection();

  const start = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    for (const target = Math.floor(((now - start) / 1000) * rate); scheduled < target; scheduled++) due.push(start + (scheduled * 1000) / rate);
    dispatch(false);
  }, 1);
  await new Promise((r) => setTimeout(r, o.warmupMs));
  measureFrom = performance.now();
  const cpu = cpuWindow(o);
  await new Promise((r) => setTimeout(r, o.durationMs));
  measureUntil = performance.now();
  const seconds = (measureUntil - measureFrom) / 1000;
  const cpuFigures = cpu(seconds);
  clearInterval(ticker);
  running = false;
  // Scheduled in the window but never sent, or sent and not answered by its end: reported, not timed.
  const unanswered = due.filter((scheduledAt) => scheduledAt <= measureUntil).length + [...sockets].filter((s) => s.scheduledAt !== undefined).length;
  due.length = 0;
  const closed = new Promise<void>((r) => (allClosed = r));
  idle.splice(0).forEach((socket) => socket.end());
  // Busy connections end once answered (above); one that is not answered within 2 s is dropped.
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
  for (const socket of sockets) socket.destroy();
  return {
    ...recorder.figures(seconds),
    socketErrors,
    maxPerToken: perToken.reduce((a, b) => Math.max(a, b), 0),
    ...cpuFigures,
    stoppedEarly,
    offeredRps: rate,
    queuedRequests: queued,
    unansweredAtEnd: unanswered,
  };
}

// Run as a process: options as one JSON argument, the result as one JSON line on stdout.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() as string)) {
  const result = await generateLoad(JSON.parse(process.argv[2] as string) as LoadOptions);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
