// Headless Debian Chromium driven by playwright-core, with a record of CSP violations, console errors
// and any request that leaves the test server (the pages must work without a CDN).
import { after, before } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startTestServer, type TestServer, type TestServerOptions } from '../support/server.js';

export const CHROMIUM_PATH = process.env.PRINCIPAL_MFA_CHROMIUM ?? '/usr/bin/chromium';

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** CSP violations reported by the page (directive and blocked URI). */
  violations(): Promise<string[]>;
  consoleErrors: string[];
  /** Requests to any origin other than the test server, aborted. */
  foreignRequests: string[];
  close(): Promise<void>;
}

/** allowOrigins: further origins the pages may reach (a relying party's own server in the sign-in tests). */
export async function openBrowser(baseUrl: string, options: { allowOrigins?: string[] } = {}): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  const origin = new URL(baseUrl).origin;
  const allowed = [origin, ...(options.allowOrigins ?? [])];
  const foreignRequests: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed.some((o) => url.startsWith(`${o}/`) || url === o) || url.startsWith('data:')) return route.continue();
    foreignRequests.push(url);
    return route.abort();
  });
  // Injected by the browser itself, so the page's own CSP does not apply to this listener.
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.effectiveDirective} ${e.blockedURI}${e.sourceFile ? ` at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}` : ''}`),
    );
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    // A fetch answered 4xx is logged as "Failed to load resource"; those answers are expected in the flow.
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()))
      consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  return {
    browser,
    context,
    page,
    consoleErrors,
    foreignRequests,
    violations: () => page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []),
    close: () => browser.close(),
  };
}

/** For a describe(): a test server on a socket and a browser on it, opened before its tests and closed after them. */
export function useServerAndBrowser(options: TestServerOptions = {}): { server: TestServer; browser: BrowserSession } {
  const opened = {} as { server: TestServer; browser: BrowserSession };
  before(async () => {
    opened.server = await startTestServer(options);
    opened.browser = await openBrowser(opened.server.baseUrl);
  });
  after(async () => {
    await opened.browser?.close();
    await opened.server?.close();
  });
  return opened;
}
