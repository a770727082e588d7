// The sign-in tests' world: the real server on a known port (so the issuer is its own URL), a relying
// party's callback server on another origin, an application registered for it, openid-client
// configured by discovery, and headless Chromium.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import type { Page } from 'playwright-core';
import { registerApplication } from '../../src/signin/applications.js';
import { CSP_AM_API } from '../../src/paths.js';
import type { Config } from '../../src/config.js';
import { openBrowser, type BrowserSession } from '../ui/browser.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { stepAlignedMs } from '../mfa/support.js';

export interface RelyingParty {
  origin: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  /** Every URL the browser brought back to the relying party, newest last. */
  arrivals: URL[];
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function startRelyingParty(): Promise<RelyingParty> {
  const arrivals: URL[] = [];
  const server: Server = createServer((request, response) => {
    arrivals.push(new URL(request.url ?? '/', origin));
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>app</title><p>Back at the application.</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    redirectUri: `${origin}/callback`,
    postLogoutRedirectUri: `${origin}/signed-out`,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface SignInWorld {
  server: TestServer;
  clock: TestClock;
  rp: RelyingParty;
  browser: BrowserSession;
  page: Page;
  clientId: string;
  clientSecret: string;
  /** openid-client, configured by discovery against the server, as the confidential application. */
  oidc: client.Configuration;
  issuer: string;
  close(): Promise<void>;
}

/**
 * passkeys: the server is reached as localhost (browsers refuse an IP address as WebAuthn RP id), which is
 * then its issuer and WebAuthn origin; the pages, discovery and the library all use that name.
 */
export async function startSignInWorld(config: Partial<Config> = {}, options: { passkeys?: boolean } = {}): Promise<SignInWorld> {
  const port = await freePort();
  const origin = `http://${options.passkeys ? 'localhost' : '127.0.0.1'}:${port}`;
  const issuer = `${origin}${CSP_AM_API}`;
  const clock = new TestClock(stepAlignedMs());
  const webauthn = options.passkeys ? { webauthnRpId: 'localhost', webauthnOrigin: origin } : {};
  const server = await startTestServer({ port, clock, config: { issuer, ...webauthn, ...config } });
  const rp = await startRelyingParty();
  const { clientId, clientSecret } = await registerApplication(server.services.store, clock, {
    name: 'Test Application',
    redirectUris: [rp.redirectUri],
    postLogoutRedirectUris: [rp.postLogoutRedirectUri],
    isPublic: false,
  });
  // The server's clock runs ahead of the real one (the tests step it for TOTP); the library is told so.
  const oidc = await client.discovery(new URL(issuer), clientId, { [client.clockTolerance]: 3600 }, client.ClientSecretBasic(clientSecret as string), {
    execute: [client.allowInsecureRequests],
  });
  const browser = await openBrowser(server.baseUrl, { allowOrigins: [rp.origin, origin] });
  return {
    server,
    clock,
    rp,
    browser,
    page: browser.page,
    clientId,
    clientSecret: clientSecret as string,
    oidc,
    issuer,
    async close() {
      await browser.close();
      await rp.close();
      await server.close();
    },
  };
}

export interface Started {
  verifier: string;
  state: string;
  nonce: string;
}

/** Sends the browser to the authorization endpoint as the application would, with PKCE, state and nonce. */
export async function startAuthorization(world: SignInWorld, extra: Record<string, string> = {}): Promise<Started> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(world.oidc, {
    redirect_uri: world.rp.redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  await world.page.goto(url.href);
  return { verifier, state, nonce };
}

export async function submitPassword(page: Page, username: string, password: string): Promise<void> {
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')]);
}

export async function submitPasscode(page: Page, passcode: string): Promise<void> {
  await page.fill('input[name="passcode"]', passcode);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')]);
}

/** True once the browser is back at the application's redirect URI. */
export const isAtCallback = (world: SignInWorld): boolean => world.page.url().startsWith(world.rp.redirectUri);

/** The code exchange by the library, with every check it makes (state, nonce, ID-token signature and claims, PKCE). */
export async function exchangeCode(
  world: SignInWorld,
  started: Started,
  checks: Partial<client.AuthorizationCodeGrantChecks> = {},
): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  return client.authorizationCodeGrant(world.oidc, new URL(world.page.url()), {
    pkceCodeVerifier: started.verifier,
    expectedState: started.state,
    expectedNonce: started.nonce,
    idTokenExpected: true,
    ...checks,
  });
}

/**
 * A token-endpoint refusal as the library reports it. The token endpoint answers with CSP's error shape
 * (CspErrorResponse, the OAuth error first in its message), which the library passes on as the response.
 */
export async function expectTokenRefusal(promise: Promise<unknown>, errorCode: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  const response = (caught as { cause?: unknown } | undefined)?.cause;
  if (!(response instanceof Response)) throw new Error(`expected a refused token request, got ${String(caught)}`);
  const body = (await response.json()) as { errorCode?: string; statusCode?: number };
  if (body.errorCode !== errorCode) throw new Error(`expected ${errorCode}, got ${JSON.stringify(body)}`);
}

/** A new browser with no session: the context's cookies are dropped. */
export async function forgetBrowserSession(world: SignInWorld): Promise<void> {
  await world.browser.context.clearCookies();
}
