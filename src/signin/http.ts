// What every sign-in page response carries: no caching, no framing, a strict Content-Security-Policy
// whose form-action admits this server and, while a sign-in is on its way back, the application's redirect URI.
import type { FastifyReply } from 'fastify';
import type { FormBody } from '../http/form-body.js';

/**
 * Chromium applies form-action to the redirects that follow a form post: the 303 back to the application
 * must be allowed here, or the browser stops on our page. Only the exact registered URI is added (the
 * registration refused any character that could break out of the policy).
 */
export function pageContentSecurityPolicy(redirectUri?: string, withScripts = false, withDataImages = false): string {
  const target = redirectUri ? ` ${redirectUri.split('?')[0]}` : '';
  // A page offering a passkey runs two scripts from this server and fetches its options here; no inline script.
  const scripts = withScripts ? "script-src 'self'; connect-src 'self'; " : '';
  // The enrolment page shows its QR code as a data: image (the SVG that mfa/devices.ts renders for /mfa too).
  const images = withDataImages ? "img-src 'self' data:; " : "img-src 'self'; ";
  return "default-src 'none'; " + scripts + "style-src 'self'; " + images + `form-action 'self'${target}; frame-ancestors 'none'; base-uri 'none'`;
}

export function sendPage(reply: FastifyReply, status: number, html: string, redirectUri?: string, withScripts = false, withDataImages = false): FastifyReply {
  return reply
    .code(status)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'content-security-policy': pageContentSecurityPolicy(redirectUri, withScripts, withDataImages),
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    })
    .send(html);
}

/** 303 See Other: the browser follows with a GET whatever the method was (RFC 9110 §15.4.4). */
export function redirectTo(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).send();
}

/** A GET endpoint's parameters come in the query, a POST one's in the form body (OIDC Core §3.1.2.1). */
export function paramsOf(method: string, query: unknown, body: FormBody | undefined): FormBody {
  const params: FormBody = Object.create(null);
  const source = method === 'POST' ? (body ?? {}) : ((query ?? {}) as Record<string, unknown>);
  for (const [name, value] of Object.entries(source)) if (typeof value === 'string') params[name] = value;
  return params;
}
