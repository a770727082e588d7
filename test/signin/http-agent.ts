// A browser without a browser, for the sign-in's hostile cases over real HTTP: a cookie jar, redirects
// followed only when asked, and the pieces of a page a test needs (CSRF token, the enrolment key).
import { createHash, randomBytes } from 'node:crypto';
import { AUTHORIZATION_PATH } from '../../src/paths.js';

export interface Answer {
  status: number;
  location: string | undefined;
  headers: Headers;
  html: string;
}

export class HttpAgent {
  readonly cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  private remember(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private async send(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Answer> {
    const url = path.startsWith('http') ? path : `${this.baseUrl}${path}`;
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: cookie ? { cookie } : {},
      body: form ? new URLSearchParams(form) : undefined,
    });
    this.remember(response.headers);
    return { status: response.status, location: response.headers.get('location') ?? undefined, headers: response.headers, html: await response.text() };
  }

  get(path: string): Promise<Answer> {
    return this.send('GET', path);
  }

  post(path: string, form: Record<string, string>): Promise<Answer> {
    return this.send('POST', path, form);
  }
}

export interface AuthorizationStart {
  verifier: string;
  state: string;
}

/** The application's redirect to the authorization endpoint, with PKCE (S256) and state; the agent lands on the password page. */
export async function authorize(agent: HttpAgent, clientId: string, redirectUri: string, extra: Record<string, string> = {}): Promise<AuthorizationStart> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const params = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid',
    state,
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  });
  const answer = await agent.get(`${AUTHORIZATION_PATH}?${params}`);
  if (answer.status !== 303) throw new Error(`authorization answered ${answer.status}: ${answer.html}`);
  return { verifier, state };
}

const unescape = (value: string) =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The CSRF token of a page's forms. */
export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]*)"/.exec(html);
  if (!match) throw new Error(`no CSRF token on the page: ${html.slice(0, 400)}`);
  return unescape(match[1] as string);
}

/** The TOTP key the enrolment page writes out (grouped by four), as base32. */
export function enrolmentKeyOf(html: string): string {
  const match = /<code class="secret" id="secret">([^<]*)<\/code>/.exec(html);
  if (!match) throw new Error(`no key on the page: ${html.slice(0, 400)}`);
  return unescape(match[1] as string).replace(/\s+/g, '');
}

/** The payload of a JWT, unverified (the tests that need verification use openid-client). */
export const jwtPayload = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8'));
