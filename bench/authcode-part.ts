// Issue 11: authorization-code exchanges per second (target ≥ 500 on one core) and what a sign-in POST
// costs with and without its password hash. As the other parts: the server (bin/principal-mfa serve, its
// own SQLite store) pinned to core 0, the load generator in a process of its own on core 1, and the
// server's CPU per exchange read from /proc, so the figure is the server's alone.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULTS } from '../src/config.js';
import { hashPassword } from '../src/principals/passwords.js';
import { createUser } from '../src/principals/users.js';
import { ensureMasterKeyFile, loadMasterKey } from '../src/secrets/master-key-file.js';
import { createServices } from '../src/services.js';
import { registerApplication } from '../src/signin/applications.js';
import { CODE_LIFETIME_SECONDS, issueAuthorizationCode } from '../src/signin/codes.js';
import { openStore } from '../src/storage/database.js';
import { sqliteOf } from '../src/storage/internal.js';
import type { LoadResult } from './load-generator.js';
import { cpuMicros, fmt, generate, median, row } from './measure.js';
import { type Pinning, serverTarget } from './targets.js';

export const TARGET_AUTHCODE_PER_SECOND = 500;
const TOKEN_PATH = '/csp/gateway/am/api/auth/token';
/** Codes issued per round: enough for 1,500 exchanges/s over warm-up and measurement (the run stops early when all are used). */
const CODES_PER_SECOND = 1500;
const SIGN_INS = 40;

export interface AuthcodePlan {
  dir: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
  rounds: number;
  log(line?: string): void;
}

export async function measureAuthorizationCodes(p: Pinning, plan: AuthcodePlan): Promise<void> {
  const file = join(plan.dir, 'authcode.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  // The key the server is started with (serverTarget passes the same file): it seals the signing key created here.
  const masterKeyFile = join(plan.dir, 'master.key');
  await ensureMasterKeyFile(masterKeyFile);
  const store = await openStore(`sqlite:${file}`);
  // This process only seeds a throw-away file (the codes, one commit each): its own commits need no fsync.
  // The server's connection keeps its own setting (synchronous is per connection).
  sqliteOf(store)!.pragma('synchronous = OFF');
  const config = { ...DEFAULTS, databaseUrl: `sqlite:${file}`, logLevel: 'silent' };
  const services = await createServices(config, { store, masterKey: await loadMasterKey(masterKeyFile) });
  const password = 'bench-password-1';
  const user = await createUser(store, services.clock, { username: 'bench', passwordHash: await hashPassword(password) });
  const redirectUri = 'http://127.0.0.1:9/callback';
  // Two applications, measured in the same run against the same server: one with RS256 ID tokens (two RSA
  // signatures per exchange), one registered with ES256 ID tokens (one RSA, one EC signature).
  const clients = [];
  for (const idTokenAlg of ['RS256', 'ES256'] as const) {
    const registered = await registerApplication(store, services.clock, {
      name: `bench ${idTokenAlg}`,
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [],
      isPublic: false,
      idTokenAlg,
    });
    const authorization = `Basic ${Buffer.from(`${registered.clientId}:${registered.clientSecret}`).toString('base64')}`;
    clients.push({ idTokenAlg, clientId: registered.clientId, authorization });
  }
  const codeVerifier = randomBytes(32).toString('base64url');
  const codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
  const requestFor = (clientId: string) => ({
    clientId,
    redirectUri,
    state: undefined,
    nonce: 'n',
    scope: 'openid profile',
    codeChallenge,
    prompt: undefined,
    maxAge: undefined,
    mfaRequired: false,
  });
  const codesPerRound = Math.ceil(((plan.warmupMs + plan.durationMs) / 1000) * CODES_PER_SECOND);
  if (plan.warmupMs + plan.durationMs > (CODE_LIFETIME_SECONDS - 20) * 1000) throw new Error('warm-up + duration must stay well under the 60 s a code lives');

  const server = await serverTarget(p, plan.dir, 'principal-mfa (SQLite, authcode)', `sqlite:${file}`).start();
  try {
    // Rounds interleaved (RS256, ES256, RS256, ES256, …): neither client gets the cold server or a quiet minute alone.
    const results = new Map<string, LoadResult[]>(clients.map((c) => [c.idTokenAlg, []]));
    for (let round = 1; round <= plan.rounds; round++) {
      for (const { idTokenAlg, clientId, authorization } of clients) {
        // Fresh codes each round, issued just before it: a code lives 60 s and is good once.
        const authentication = { userId: user.id, authTime: Math.floor(Date.now() / 1000), amr: ['pwd'] };
        const codes: string[] = [];
        for (let i = 0; i < codesPerRound; i++) codes.push(await issueAuthorizationCode(services, requestFor(clientId), authentication));
        const codesFile = join(plan.dir, 'authcodes.json');
        writeFileSync(codesFile, JSON.stringify(codes));
        const result = await generate(p, {
          port: server.port,
          path: TOKEN_PATH,
          authcode: { codesFile, authorization, redirectUri, codeVerifier },
          connections: plan.connections,
          warmupMs: plan.warmupMs,
          durationMs: plan.durationMs,
          maxRequests: codes.length,
          serverPid: server.pid,
        });
        results.get(idTokenAlg)!.push(result);
        plan.log(row(`authcode ${idTokenAlg} ID token, round ${round}/${plan.rounds}`, result));
      }
    }
    for (const [idTokenAlg, measured] of results) {
      const rps = median(measured.map((r) => r.rps));
      const micros = median(measured.map(cpuMicros));
      const errors = measured.reduce((n, r) => n + r.non2xx, 0);
      plan.log(
        `${rps >= TARGET_AUTHCODE_PER_SECOND && errors === 0 ? 'PASS' : 'FAIL'}: authcode (${idTokenAlg} ID token, RS256 access token) ${fmt(rps)} authorization-code exchanges/s on one core ` +
          `(target ≥ ${TARGET_AUTHCODE_PER_SECOND}); server CPU ${fmt(micros)} µs per exchange, i.e. ${fmt(1e6 / micros)}/s on a whole core; ` +
          `${plan.connections} connections, non-2xx ${errors}`,
      );
      if (errors > 0) process.exitCode = 1;
    }
    const { clientId } = clients[0]!;
    await measureSignInPost(
      p,
      `http://127.0.0.1:${server.port}`,
      { clientId, redirectUri, codeChallenge, password, passwordHash: user.passwordHash as string },
      plan.log,
    );
  } finally {
    await server.stop();
    await services.close();
  }
}

/** The sign-in POST end to end over HTTP (the server above), against the password hash alone (a process on the server's core). */
async function measureSignInPost(
  p: Pinning,
  base: string,
  s: { clientId: string; redirectUri: string; codeChallenge: string; password: string; passwordHash: string },
  log: (line?: string) => void,
): Promise<void> {
  let postMs = 0;
  for (let i = 0; i < SIGN_INS; i++) {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: s.clientId,
      redirect_uri: s.redirectUri,
      scope: 'openid',
      code_challenge: s.codeChallenge,
      code_challenge_method: 'S256',
    });
    const authorize = await fetch(`${base}/csp/gateway/discovery?${query}`, { redirect: 'manual' });
    const cookie = authorize.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const page = await (await fetch(`${base}/csp/gateway/signin`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const t0 = performance.now();
    const res = await fetch(`${base}/csp/gateway/signin/password`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ csrf, username: 'bench', password: s.password }),
      redirect: 'manual',
    });
    await res.arrayBuffer();
    postMs += performance.now() - t0;
    if (res.status !== 303) throw new Error(`sign-in POST answered ${res.status}`);
  }
  const [command, ...args] = [...p.serverCore, process.execPath, '--import', 'tsx', join(import.meta.dirname, 'password-hash-timing.ts')] as unknown as [
    string,
    ...string[],
  ];
  const hash = Number(execFileSync(command, [...args, s.passwordHash, s.password, String(SIGN_INS)], { encoding: 'utf8' }).trim());
  const post = postMs / SIGN_INS;
  log(
    `${hash / post >= 0.5 ? 'PASS' : 'FAIL'}: sign-in POST ${fmt(post, 1)} ms, of which the password hash (scrypt N=2^15) ${fmt(hash, 1)} ms ` +
      `(${((hash / post) * 100).toFixed(0)} %; without it ${fmt(post - hash, 1)} ms): dominated by the hash (target ≥ 50 %)`,
  );
}
