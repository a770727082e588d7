// Issue 11, item 7: `npm start` (serve --dev) registers a demo application and prints a sign-in URL that
// works: followed with plain HTTP (the forms posted as a browser would), it ends in a code that the
// printed exchange turns into tokens.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD, DEMO_REDIRECT_URI, DEMO_USERNAME, printDevQuickstart } from '../../src/cli/dev-quickstart.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** The cookies a browser would keep, by name (one origin, path /). */
function keepCookies(jar: Map<string, string>, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
}
const cookieHeader = (jar: Map<string, string>) => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');

describe('serve --dev: the demo application', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { dev: true } });
  });
  after(async () => server?.close());

  it('issue 11: prints a sign-in URL and an exchange that, pasted, give an ID token for the demo user', async () => {
    const stderr = new PassThrough();
    let printed = '';
    stderr.on('data', (chunk) => (printed += String(chunk)));
    await printDevQuickstart(server.services, server.baseUrl, { stderr, stdout: new PassThrough(), stdin: new PassThrough(), env: {} });
    const url = printed
      .split('\n')
      .find((line) => line.includes('/csp/gateway/discovery?'))
      ?.trim();
    assert.ok(url, printed);

    const jar = new Map<string, string>();
    const authorize = await fetch(url, { redirect: 'manual' });
    assert.equal(authorize.status, 303);
    keepCookies(jar, authorize);
    const page = await fetch(`${server.baseUrl}/csp/gateway/signin`, { headers: { cookie: cookieHeader(jar) } });
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    assert.ok(csrf);
    const signedIn = await fetch(`${server.baseUrl}/csp/gateway/signin/password`, {
      method: 'POST',
      headers: { cookie: cookieHeader(jar) },
      body: new URLSearchParams({ csrf, username: DEMO_USERNAME, password: DEMO_PASSWORD }),
      redirect: 'manual',
    });
    assert.equal(signedIn.status, 303);
    const back = new URL(signedIn.headers.get('location') as string);
    assert.equal(`${back.origin}${back.pathname}`, DEMO_REDIRECT_URI);
    const code = back.searchParams.get('code') as string;

    const lines = printed.split('\n');
    const start = lines.findIndex((line) => line.trim().startsWith('curl -s -X POST') && line.includes('authorization_code'));
    const script = `${lines[start]}\n${lines[start + 1]}`.replace('CODE_FROM_THE_ADDRESS_BAR', code);
    // Asynchronous: the server answering curl runs in this very process.
    const pasted = await promisify(execFile)('bash', ['-c', script], { encoding: 'utf8', timeout: 20_000 });
    const tokens = JSON.parse(pasted.stdout) as { id_token?: string; refresh_token?: string };
    assert.ok(tokens.id_token, pasted.stdout);
    assert.ok(tokens.refresh_token?.startsWith('pmfa_rt_'));
  });
});
