// Issue 11: authorization-code exchanges per second (target ≥ 500 on one core) and what a sign-in POST
// costs with and without its password hash. In-process: the server and the client that drives it share
// one process, so one core serves both (the figure is conservative).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../src/app.js';
import { DEFAULTS } from '../src/config.js';
import { hashPassword, verifyPassword } from '../src/principals/passwords.js';
import { createUser } from '../src/principals/users.js';
import { createServices } from '../src/services.js';
import { registerApplication } from '../src/signin/applications.js';
import { issueAuthorizationCode } from '../src/signin/codes.js';
import { openStore } from '../src/storage/database.js';
import { fmt } from './measure.js';

export const TARGET_AUTHCODE_PER_SECOND = 500;
const CODES = 3000;
const CONCURRENCY = 16;
const SIGN_INS = 40;

export async function measureAuthorizationCodes(plan: { dir: string; log(line?: string): void }): Promise<void> {
  const file = join(plan.dir, 'authcode.db');
  rmSync(file, { force: true });
  const store = await openStore(`sqlite:${file}`);
  const config = { ...DEFAULTS, databaseUrl: `sqlite:${file}`, logLevel: 'silent', issuer: 'http://127.0.0.1/csp/gateway/am/api' };
  const services = await createServices(config, { store, masterKey: randomBytes(32) });
  const app = await buildApp(services);
  const base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  try {
    const password = 'bench-password-1';
    const user = await createUser(store, services.clock, { username: 'bench', passwordHash: await hashPassword(password) });
    const redirectUri = 'http://127.0.0.1:9/callback';
    const { clientId, clientSecret } = await registerApplication(store, services.clock, {
      name: 'bench',
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [],
      isPublic: false,
    });
    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    const verifier = randomBytes(32).toString('base64url');
    const { createHash } = await import('node:crypto');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const request = {
      clientId,
      redirectUri,
      state: undefined,
      nonce: 'n',
      scope: 'openid profile',
      codeChallenge: challenge,
      prompt: undefined,
      maxAge: undefined,
      mfaRequired: false,
    };
    const authentication = { userId: user.id, authTime: Math.floor(Date.now() / 1000), amr: ['pwd'] };
    const codes: string[] = [];
    for (let i = 0; i < CODES; i++) codes.push(await issueAuthorizationCode(services, request, authentication));

    // Exchanges: every code once, CONCURRENCY in flight; codes live 60 s, far more than the run takes.
    let next = 0;
    let failures = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < codes.length; i = next++) {
          const body = new URLSearchParams({ grant_type: 'authorization_code', code: codes[i] as string, redirect_uri: redirectUri, code_verifier: verifier });
          const res = await fetch(`${base}/csp/gateway/am/api/auth/token`, { method: 'POST', headers: { authorization: basic }, body });
          if (res.status === 200) await res.arrayBuffer();
          if (res.status !== 200 && failures++ === 0) plan.log(`first refusal: ${res.status} ${await res.text().catch(() => '')}`);
        }
      }),
    );
    const rps = codes.length / ((performance.now() - started) / 1000);
    plan.log(
      `${rps >= TARGET_AUTHCODE_PER_SECOND && failures === 0 ? 'PASS' : 'FAIL'}: authcode ${fmt(rps)} authorization-code exchanges/s, server and client on one core ` +
        `(target ≥ ${TARGET_AUTHCODE_PER_SECOND}); ${codes.length} codes, ${CONCURRENCY} in flight, non-200 ${failures}`,
    );
    if (failures > 0) process.exitCode = 1;

    // The sign-in POST, end to end over HTTP, against the password hash alone.
    let postMs = 0;
    for (let i = 0; i < SIGN_INS; i++) {
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        scope: 'openid',
        code_challenge: challenge,
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
        body: new URLSearchParams({ csrf, username: 'bench', password }),
        redirect: 'manual',
      });
      await res.arrayBuffer();
      postMs += performance.now() - t0;
      if (res.status !== 303) throw new Error(`sign-in POST answered ${res.status}`);
    }
    let hashMs = 0;
    for (let i = 0; i < SIGN_INS; i++) {
      const t0 = performance.now();
      await verifyPassword(password, user.passwordHash);
      hashMs += performance.now() - t0;
    }
    const post = postMs / SIGN_INS;
    const hash = hashMs / SIGN_INS;
    plan.log(
      `${hash / post >= 0.5 ? 'PASS' : 'FAIL'}: sign-in POST ${fmt(post, 1)} ms, of which the password hash (scrypt N=2^15) ${fmt(hash, 1)} ms ` +
        `(${((hash / post) * 100).toFixed(0)} %; without it ${fmt(post - hash, 1)} ms): dominated by the hash (target ≥ 50 %)`,
    );
  } finally {
    await app.close();
    await services.close();
  }
}
