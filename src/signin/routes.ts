// The sign-in pages and the authorization endpoint: HTML for people, redirects for applications. Each
// handler reads its input, calls the sign-in steps and maps the outcome to a page or a 303.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { limitFailedAuth } from '../auth/failed-auth-limit.js';
import { nowSeconds } from '../clock.js';
import { ApiError } from '../errors.js';
import type { FormBody } from '../http/form-body.js';
import { AUTHORIZATION_PATH, SIGNIN_ENROL_PATH, SIGNIN_PASSWORD_PATH, SIGNIN_PATH, SIGNIN_SECOND_FACTOR_PATH } from '../paths.js';
import { checkMfaPolicy } from '../orgs/policy-check.js';
import { findUserById, type User } from '../principals/users.js';
import type { Services } from '../services.js';
import { registerTokenBodyParsers } from '../tokens/request-body.js';
import { webauthnBrowserBundle } from '../ui/routes.js';
import { signInAmr } from './assurance.js';
import { AuthorizationPageError, AuthorizationRedirectError, readAuthorizationRequest } from './authorization-request.js';
import { registerEndSession } from './end-session.js';
import { registerPasskeyOptions } from './passkey-options.js';
import { offeredFactors, SECOND_FACTORS } from './factors.js';
import { authenticationNow, redirectWithCode, redirectWithError, sessionSatisfies } from './flow.js';
import { paramsOf, redirectTo, sendPage } from './http.js';
import {
  csrfMatches,
  finishInteraction,
  hasFinished,
  INTERACTION_LIFETIME_SECONDS,
  type Interaction,
  newInteraction,
  openInteraction,
  sealInteraction,
} from './interaction.js';
import {
  offersPasskey,
  type PageErrors,
  renderMessagePage,
  renderPasswordPage,
  renderSecondFactorPage,
  SIGNIN_PASSKEY_SCRIPT_PATH,
  SIGNIN_STYLESHEET_PATH,
  SIGNIN_WEBAUTHN_LIBRARY_PATH,
} from './pages.js';
import { checkPassword } from './password-step.js';
import { cookieNamesOf, endSession, findLiveSession, startSession } from './sessions.js';
import { findApplication } from './applications.js';
import { type RefusalPageOptions, registerEnrolment } from './enrol-routes.js';
import { enrolmentReason, policyRefusal } from './enrolment.js';

const STYLESHEET_FILE = fileURLToPath(new URL('../../public/signin/signin.css', import.meta.url));
const PASSKEY_SCRIPT_FILE = fileURLToPath(new URL('../../public/signin/passkey.js', import.meta.url));

/** Parameters of the authorization request; unknown ones are ignored, as OIDC Core §3.1.2.1 requires. */
const AuthorizationParams = Type.Object(
  {
    client_id: Type.Optional(Type.String()),
    redirect_uri: Type.Optional(Type.String()),
    response_type: Type.Optional(Type.String()),
    scope: Type.Optional(Type.String()),
    state: Type.Optional(Type.String()),
    nonce: Type.Optional(Type.String()),
    code_challenge: Type.Optional(Type.String()),
    code_challenge_method: Type.Optional(Type.String()),
    prompt: Type.Optional(Type.String()),
    max_age: Type.Optional(Type.String()),
    acr_values: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
const PageForm = Type.Unsafe<FormBody | undefined>({ type: 'object' });

const EXPIRED = 'This sign-in has expired, or it was not started by an application. Go back to the application and sign in again from there.';

/** The message a refusal shows on the page, and next to which field. */
function pageErrorsOf(error: ApiError, field: string): PageErrors {
  switch (error.code) {
    case 'wrong_password':
      return { fields: { password: 'The username or password is not correct.' } };
    case 'invalid_passcode':
      return { fields: { [field]: 'The passcode or recovery code is not valid.' } };
    case 'mfa_required':
      if (field === 'webauthn') return { fields: { webauthn: 'Use your passkey when your browser asks for it (this needs JavaScript).' } };
      return { fields: { [field]: 'Enter the passcode from your authenticator app, or a recovery code.' } };
    case 'invalid_webauthn':
      return { fields: { webauthn: 'The passkey was not accepted. Try again, or use another way to sign in.' } };
    case 'mfa_locked': {
      const minutes = error.retryAfterSeconds ? Math.max(1, Math.ceil(error.retryAfterSeconds / 60)) : undefined;
      return { form: `Too many failed attempts: this account is locked${minutes ? ` for ${minutes} minute${minutes === 1 ? '' : 's'}` : ' for a while'}.` };
    }
    case 'auth_rate_limited':
      return { form: 'Too many failed sign-ins from this address; wait a minute and try again.' };
    case 'user_disabled':
      return { form: 'This account is disabled.' };
    case 'mfa_device_not_found':
      // Enrolment: the pending device was replaced (another tab, the /mfa page) after the page showed it.
      return { form: 'The set-up changed since this page was shown (in another tab or on the self-service page). Scan the new code below.' };
    case 'mfa_enrollment_required':
      return {
        form: 'Your organization requires a second factor for signing in, and your enrolment period has ended. Ask an organization admin to exempt you for a moment, then set up a second factor on the self-service page (/mfa).',
      };
    default:
      throw error;
  }
}

export function signInRoutes(services: Services): FastifyPluginAsyncTypebox {
  const cookies = cookieNamesOf(services);
  const cookieOptions = { path: '/', httpOnly: true, secure: cookies.secure, sameSite: 'lax' as const };
  const countFailure = limitFailedAuth({ limiter: services.limits.failedAuth });

  const setInteraction = (reply: FastifyReply, interaction: Interaction) =>
    reply.setCookie(cookies.interaction, sealInteraction(services, interaction), { ...cookieOptions, maxAge: INTERACTION_LIFETIME_SECONDS });
  const applicationName = async (interaction: Interaction) => (await findApplication(services, interaction.request.clientId))?.name ?? 'the application';

  /** A refusal as a page: counted toward the per-address limit exactly as at the token endpoints. */
  async function refusalPage(
    request: FastifyRequest,
    reply: FastifyReply,
    error: unknown,
    render: (errors: PageErrors) => Promise<string>,
    interaction: Interaction,
    page: RefusalPageOptions = { field: 'passcode', withScripts: false },
  ) {
    if (!(error instanceof ApiError)) throw error;
    const refusal = await countFailure(request, error);
    const errors = pageErrorsOf(refusal, page.field);
    if (refusal.retryAfterSeconds !== undefined) reply.header('retry-after', String(refusal.retryAfterSeconds));
    reply.headers(refusal.headers);
    return sendPage(reply, refusal.status, await render(errors), interaction.request.redirectUri, page.withScripts, page.withDataImages);
  }

  /** No audit event fits (the audit log is the principal's MFA history): the operator's log records it. */
  const logReplay = (request: FastifyRequest, interaction: Interaction) =>
    request.log.warn(
      { userId: interaction.userId, path: request.routeOptions.url },
      'sign-in refused: its interaction has already finished (a copied or replayed cookie)',
    );

  /**
   * The end of a sign-in: finished once (recorded in the store first, so a copy of the cookie, or a second
   * post racing this one, gets the expired page), then a new session (never the old id: no fixation), a
   * code, and back to the application.
   */
  async function finishSignIn(request: FastifyRequest, reply: FastifyReply, interaction: Interaction, user: User, amr: string[]) {
    if (!(await finishInteraction(services, interaction))) {
      logReplay(request, interaction);
      return sendPage(reply, 403, renderMessagePage('Sign-in expired', EXPIRED));
    }
    await endSession(services, request.cookies[cookies.session]);
    const authentication = authenticationNow(services, user.id, amr, interaction.passwordAt ?? nowSeconds(services.clock));
    const sessionId = await startSession(services, authentication);
    reply.setCookie(cookies.session, sessionId, { ...cookieOptions, maxAge: services.config.sessionMaxSeconds });
    reply.clearCookie(cookies.interaction, cookieOptions);
    return redirectTo(reply, await redirectWithCode(services, interaction.request, authentication));
  }

  /**
   * The interaction of a page or form post; undefined (the caller shows the expired page) when there is none,
   * the CSRF token is wrong, or the sign-in has finished: every step, not only the last, is closed then.
   */
  async function interactionOf(request: FastifyRequest, form: FormBody | undefined): Promise<Interaction | undefined> {
    const interaction = openInteraction(services, request.cookies[cookies.interaction]);
    if (!interaction) return undefined;
    if (form !== undefined && !csrfMatches(interaction, form.csrf)) return undefined;
    if (await hasFinished(services, interaction)) {
      logReplay(request, interaction);
      return undefined;
    }
    return interaction;
  }

  return async (app) => {
    await app.register(fastifyCookie);
    registerTokenBodyParsers(app, {});
    const assets = [
      { path: SIGNIN_STYLESHEET_PATH, file: STYLESHEET_FILE, type: 'text/css; charset=utf-8' },
      { path: SIGNIN_PASSKEY_SCRIPT_PATH, file: PASSKEY_SCRIPT_FILE, type: 'text/javascript; charset=utf-8' },
      { path: SIGNIN_WEBAUTHN_LIBRARY_PATH, file: webauthnBrowserBundle(), type: 'text/javascript; charset=utf-8' },
    ];
    for (const asset of assets) {
      const body = await readFile(asset.file);
      app.get(asset.path, { schema: { hide: true } }, async (_request, reply) =>
        reply.headers({ 'content-type': asset.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).send(body),
      );
    }

    const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
      const params = paramsOf(request.method, request.query, request.body as FormBody | undefined);
      let authorization;
      try {
        authorization = await readAuthorizationRequest(services, params);
      } catch (error) {
        if (error instanceof AuthorizationPageError) return sendPage(reply, 400, renderMessagePage('Sign-in request refused', error.message));
        if (error instanceof AuthorizationRedirectError) return redirectTo(reply, redirectWithError(services, error.request, error.error, error.description));
        throw error;
      }
      const { request: authRequest } = authorization;
      const session = await findLiveSession(services, request.cookies[cookies.session]);
      if (sessionSatisfies(services, session, authRequest)) {
        const user = await findUserById(services.store, session.userId);
        // A session from before the grace period ended gives no new code after it: the policy is asked again.
        const refusal = user ? await policyRefusal(services, user, session.amr) : undefined;
        const message = refusal ? (pageErrorsOf(refusal, 'passcode').form ?? refusal.message) : '';
        // prompt=none means no page may be shown (a silent check by the application): the refusal goes back to it.
        if (refusal && authRequest.prompt === 'none') return redirectTo(reply, redirectWithError(services, authRequest, 'access_denied', message));
        if (!refusal) return redirectTo(reply, await redirectWithCode(services, authRequest, session));
        // A person who can enrol inside the sign-in signs in again and sets up a device on the way; others get the refusal.
        if (!(user && (await enrolmentReason(services, user, authRequest))))
          return sendPage(reply, refusal.status, renderMessagePage('Second factor required', message));
      } else if (authRequest.prompt === 'none')
        return redirectTo(reply, redirectWithError(services, authRequest, 'login_required', 'The user must sign in (prompt=none).'));
      setInteraction(reply, newInteraction(services, authRequest));
      return redirectTo(reply, SIGNIN_PATH);
    };
    app.get(AUTHORIZATION_PATH, { schema: { hide: true, querystring: AuthorizationParams } }, authorize);
    app.post(AUTHORIZATION_PATH, { schema: { hide: true, body: PageForm } }, authorize);

    app.get(SIGNIN_PATH, { schema: { hide: true } }, async (request, reply) => {
      const interaction = await interactionOf(request, undefined);
      if (!interaction) return sendPage(reply, 400, renderMessagePage('Sign-in expired', EXPIRED));
      const name = await applicationName(interaction);
      const user = interaction.userId === undefined ? undefined : await findUserById(services.store, interaction.userId);
      if (!user)
        return sendPage(
          reply,
          200,
          renderPasswordPage({ applicationName: name, action: SIGNIN_PASSWORD_PATH, csrf: interaction.csrf, errors: {} }),
          interaction.request.redirectUri,
        );
      const factors = await offeredFactors(services, user);
      // Enrolling in this sign-in (or nothing to ask for): the enrolment step decides what to show.
      if (interaction.enrolled || factors.length === 0) return redirectTo(reply, SIGNIN_ENROL_PATH);
      return sendPage(
        reply,
        200,
        renderSecondFactorPage({ applicationName: name, action: SIGNIN_SECOND_FACTOR_PATH, csrf: interaction.csrf, factors, errors: {} }),
        interaction.request.redirectUri,
        offersPasskey(factors),
      );
    });

    app.post(SIGNIN_PASSWORD_PATH, { schema: { hide: true, body: PageForm } }, async (request, reply) => {
      const form = request.body ?? Object.create(null);
      const interaction = await interactionOf(request, form);
      if (!interaction) return sendPage(reply, 403, renderMessagePage('Sign-in expired', EXPIRED));
      const name = await applicationName(interaction);
      const username = (form.username ?? '').trim();
      const password = form.password ?? '';
      const render = async (errors: PageErrors) =>
        renderPasswordPage({ applicationName: name, action: SIGNIN_PASSWORD_PATH, csrf: interaction.csrf, username, errors });
      if (username === '' || password === '') {
        const fields: Record<string, string> = {};
        if (username === '') fields.username = 'Enter your username.';
        if (password === '') fields.password = 'Enter your password.';
        return sendPage(reply, 400, await render({ fields }), interaction.request.redirectUri);
      }
      let user: User;
      try {
        user = await checkPassword(services, username, password);
      } catch (error) {
        return refusalPage(request, reply, error, render, interaction);
      }
      const passwordAt = nowSeconds(services.clock);
      if ((await offeredFactors(services, user)).length > 0) {
        setInteraction(reply, { ...interaction, userId: user.id, passwordAt });
        return redirectTo(reply, SIGNIN_PATH);
      }
      // No second factor to ask for, but one is needed (acr_values, or the policy's grace period is over): set one up now.
      if (await enrolmentReason(services, user, interaction.request)) {
        setInteraction(reply, { ...interaction, userId: user.id, passwordAt });
        return redirectTo(reply, SIGNIN_ENROL_PATH);
      }
      if (interaction.request.mfaRequired) {
        reply.clearCookie(cookies.interaction, cookieOptions);
        return sendPage(
          reply,
          403,
          renderMessagePage(
            'Second factor required',
            `${name} requires a second factor for this sign-in, and none is turned on for this account. Turn MFA on, or set up a second factor, on the self-service page, then sign in again from the application.`,
            { href: '/mfa', text: 'Set up a second factor' },
          ),
        );
      }
      // MFA is off for this user: the exchange's gate records AUTHENTICATION_WITHOUT_MFA, exactly as there.
      await services.signInGate.check(user, undefined, request.ip);
      const amr = signInAmr(undefined);
      try {
        await checkMfaPolicy(services, user, 'signIn', amr);
      } catch (error) {
        return refusalPage(request, reply, error, render, interaction);
      }
      return finishSignIn(request, reply, { ...interaction, passwordAt }, user, amr);
    });

    app.post(SIGNIN_SECOND_FACTOR_PATH, { schema: { hide: true, body: PageForm } }, async (request, reply) => {
      const form = request.body ?? Object.create(null);
      const interaction = await interactionOf(request, form);
      const user = interaction?.userId === undefined ? undefined : await findUserById(services.store, interaction.userId);
      if (!interaction || !user) return sendPage(reply, 403, renderMessagePage('Sign-in expired', EXPIRED));
      const name = await applicationName(interaction);
      const factors = await offeredFactors(services, user);
      const render = async (errors: PageErrors) =>
        renderSecondFactorPage({ applicationName: name, action: SIGNIN_SECOND_FACTOR_PATH, csrf: interaction.csrf, factors, errors });
      const withScripts = offersPasskey(factors);
      const factor = factors.find((offered) => offered.id === (form.factor ?? SECOND_FACTORS[0]?.id));
      if (!factor)
        return sendPage(reply, 400, await render({ form: 'Choose one of the offered second factors.' }), interaction.request.redirectUri, withScripts);
      const page = { field: factor.errorField, withScripts };
      let amr: string[];
      try {
        amr = await factor.verify(services, user, form, request.ip);
      } catch (error) {
        return refusalPage(request, reply, error, render, interaction, page);
      }
      if (amr.length === 0 && interaction.request.mfaRequired) return sendPage(reply, 403, renderMessagePage('Second factor required', EXPIRED));
      try {
        // The organization's policy, after the second factor as at the API-token exchange: a factor of a kind it
        // does not allow is refused here (the page stays, another factor may be tried); the token's perms and
        // due claim are decided again when the code is exchanged (token-grants.ts).
        await checkMfaPolicy(services, user, 'signIn', signInAmr(amr));
      } catch (error) {
        return refusalPage(request, reply, error, render, interaction, page);
      }
      return finishSignIn(request, reply, interaction, user, signInAmr(amr));
    });

    registerPasskeyOptions(app, services, (request, form) => interactionOf(request, form));

    registerEnrolment(app, services, { expiredMessage: EXPIRED, interactionOf, setInteraction, applicationName, refusalPage, finishSignIn });

    registerEndSession(app, services, cookies, cookieOptions);
  };
}
