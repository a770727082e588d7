// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): ends the browser session, then returns to
// a post_logout_redirect_uri registered for the application, or shows that the person is signed out.
// Without a valid id_token_hint for the signed-in person it asks first, so that no other site can sign
// people out with an image tag.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { Type } from 'typebox';
import type { FormBody } from '../http/form-body.js';
import { END_SESSION_PATH } from '../paths.js';
import { openSecret, sealSecret } from '../secrets/sealed-box.js';
import type { Services } from '../services.js';
import { findApplication } from './applications.js';
import { redirectWith } from './authorization-request.js';
import { paramsOf, redirectTo, sendPage } from './http.js';
import { renderMessagePage, renderSignOutPage } from './pages.js';
import { type CookieNames, endSession, findLiveSession } from './sessions.js';

const CONFIRM_AAD = 'principal-mfa sign-out confirmation';
const CONFIRM_LIFETIME_MS = 10 * 60 * 1000;
/** An expired ID token still names who signs out (the spec allows it), for a while. */
const HINT_MAX_AGE_SECONDS = 30 * 24 * 3600;

interface Hint {
  clientId: string;
  sub: string;
}

/** The client and subject of an ID token we signed; expired ones count (the spec allows them), forged ones do not. */
async function readHint(services: Services, token: string | undefined): Promise<Hint | undefined> {
  if (!token || token.length > services.config.maxTokenBytes) return undefined;
  try {
    const { kid } = decodeProtectedHeader(token);
    // An ID token is signed by the RSA or the EC key, as its client asked: the kid's own algorithm only.
    const trusted = typeof kid === 'string' ? await services.keys.idTokenVerificationKey(kid) : undefined;
    if (!trusted) return undefined;
    const { payload } = await jwtVerify(token, trusted.key, {
      algorithms: [trusted.alg],
      issuer: services.config.issuer,
      currentDate: new Date(services.clock.now()),
      clockTolerance: HINT_MAX_AGE_SECONDS,
    });
    const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
    return typeof aud === 'string' && typeof payload.sub === 'string' ? { clientId: aud, sub: payload.sub } : undefined;
  } catch {
    return undefined;
  }
}

const EndSessionParams = Type.Object(
  {
    id_token_hint: Type.Optional(Type.String()),
    post_logout_redirect_uri: Type.Optional(Type.String()),
    state: Type.Optional(Type.String()),
    client_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export function registerEndSession(app: FastifyInstance, services: Services, cookies: CookieNames, cookieOptions: Record<string, unknown>): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = paramsOf(request.method, request.query, request.body as FormBody | undefined);
    const hint = await readHint(services, params.id_token_hint);
    if (params.id_token_hint && !hint) return sendPage(reply, 400, renderMessagePage('Sign-out refused', 'The ID token hint is not valid.'));
    const clientId = hint?.clientId ?? params.client_id;
    if (hint && params.client_id && params.client_id !== hint.clientId)
      return sendPage(reply, 400, renderMessagePage('Sign-out refused', 'client_id is not the client of the ID token hint.'));
    let returnTo: string | undefined;
    if (params.post_logout_redirect_uri) {
      const application = clientId ? await findApplication(services, clientId) : undefined;
      if (!application || !application.postLogoutRedirectUris.includes(params.post_logout_redirect_uri))
        return sendPage(reply, 400, renderMessagePage('Sign-out refused', 'The post-logout redirect URI is not registered for this application.'));
      returnTo = redirectWith(params.post_logout_redirect_uri, { state: params.state });
    }
    const cookie = request.cookies[cookies.session];
    const session = await findLiveSession(services, cookie);
    const sessionSub = session && (await services.store.principals.findById(session.userId));
    const hintIsThisPerson = hint !== undefined && sessionSub !== undefined && hint.sub === `${sessionSub.domain}:${sessionSub.id}`;
    const confirmed = request.method === 'POST' && confirmationValid(services, params.csrf);
    if (session && !hintIsThisPerson && !confirmed) {
      const fields: Record<string, string> = {};
      for (const name of ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id']) if (params[name]) fields[name] = params[name];
      return sendPage(reply, 200, renderSignOutPage({ action: END_SESSION_PATH, csrf: newConfirmation(services), fields }), returnTo);
    }
    await endSession(services, cookie);
    reply.clearCookie(cookies.session, cookieOptions);
    if (returnTo) return redirectTo(reply, returnTo);
    return sendPage(reply, 200, renderMessagePage('Signed out', 'You are signed out of principal-mfa on this browser.'));
  };
  const schema = { hide: true };
  app.get(END_SESSION_PATH, { schema: { ...schema, querystring: EndSessionParams } }, handler);
  app.post(END_SESSION_PATH, { schema: { ...schema, body: Type.Unsafe<FormBody | undefined>({ type: 'object' }) } }, handler);
}

function newConfirmation(services: Services): string {
  return sealSecret(services.masterKey, Buffer.from(String(services.clock.now() + CONFIRM_LIFETIME_MS)), CONFIRM_AAD);
}

function confirmationValid(services: Services, token: string | undefined): boolean {
  if (!token || token.length > 512) return false;
  try {
    return Number(Buffer.from(openSecret(services.masterKey, token, CONFIRM_AAD)).toString()) > services.clock.now();
  } catch {
    return false;
  }
}
