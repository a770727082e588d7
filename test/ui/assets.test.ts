// The page's files under /mfa/assets/: every ES module is served as JavaScript with the page's security
// headers, the browser loads all of them and nothing else, and no request path reaches another file.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { extname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listUiAssets, UI_CONTENT_SECURITY_POLICY, WEBAUTHN_BROWSER_ASSET } from '../../src/ui/routes.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openBrowser } from './browser.js';

/** A GET with the path exactly as written: fetch() would resolve `..` before sending it. */
function getRaw(baseUrl: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    request({ hostname, port, path, method: 'GET' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('the page files under /mfa/assets', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('serves every module as JavaScript, with the same caching and security headers as the page', async () => {
    const assets = await listUiAssets();
    assert.ok(assets.includes('app.js') && assets.includes('lib/api.js') && assets.includes('views/audit.js'), assets.join(', '));
    const page = await fetch(`${server.baseUrl}/mfa`);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    for (const asset of assets) {
      const response = await fetch(`${server.baseUrl}/mfa/assets/${asset}`);
      assert.equal(response.status, 200, asset);
      if (extname(asset) === '.js') assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8', asset);
      assert.equal(response.headers.get('cache-control'), 'no-cache', asset);
      assert.equal(response.headers.get('content-security-policy'), UI_CONTENT_SECURITY_POLICY, asset);
      for (const name of ['x-content-type-options', 'referrer-policy', 'x-frame-options', 'cross-origin-opener-policy', 'cross-origin-resource-policy']) {
        assert.equal(response.headers.get(name), page.headers.get(name), `${asset} ${name}`);
      }
    }
  });

  it('refuses any path that climbs out of the folder or names a file it does not serve', async () => {
    const attempts = [
      '/mfa/assets/../../package.json',
      '/mfa/assets/lib/../../../package.json',
      '/mfa/assets/%2e%2e/%2e%2e/package.json',
      '/mfa/assets/..%2f..%2fpackage.json',
      '/mfa/assets/%2e%2e%2f%2e%2e%2fsrc%2fapp.ts',
      '/mfa/assets/lib/..%5c..%5c..%5cpackage.json',
      '/mfa/assets//etc/passwd',
      '/mfa/assets/%2fetc%2fpasswd',
      '/mfa/assets/index.html',
      '/mfa/assets/lib/',
      '/mfa/assets/lib/api.js%00.css',
    ];
    for (const path of attempts) {
      const { status, body } = await getRaw(server.baseUrl, path);
      assert.ok(status === 404 || status === 400, `${path} answered ${status}`);
      assert.equal(JSON.parse(body).statusCode, status, `${path} gets a CspErrorResponse, not a file`);
    }
  });

  it('loads every module and nothing more, with no console error', async () => {
    const browser = await openBrowser(server.baseUrl);
    try {
      const loaded = new Map<string, number>();
      browser.page.on('response', (response) => {
        const path = new URL(response.url()).pathname;
        if (path.startsWith('/mfa/assets/')) loaded.set(path.slice('/mfa/assets/'.length), response.status());
      });
      await browser.page.goto(`${server.baseUrl}/mfa`, { waitUntil: 'networkidle' });
      await browser.page.locator('#view-signin').waitFor({ state: 'visible' });
      // The page's own modules and the one vendored bundle (@simplewebauthn/browser).
      const modules = [...(await listUiAssets()).filter((asset) => extname(asset) === '.js'), WEBAUTHN_BROWSER_ASSET].sort();
      assert.deepEqual(
        [...loaded].filter(([, status]) => status !== 200),
        [],
        'no page file is missing',
      );
      assert.deepEqual([...loaded.keys()].filter((asset) => extname(asset) === '.js').sort(), modules, 'every module is used');
      assert.deepEqual(browser.consoleErrors, []);
      assert.deepEqual(await browser.violations(), [], 'no Content-Security-Policy violations');
    } finally {
      await browser.close();
    }
  });
});
