// The enrolment step of a sign-in (enrolment.ts), after the password and before the redirect back:
// GET /csp/gateway/signin/enrol shows the new device, POST activates it with a passcode and shows the
// recovery codes, POST …/enrol/continue finishes the sign-in. Only for the sign-in in progress (sealed
// interaction cookie, CSRF token on every form) whose password was right and whose principal must enrol.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../errors.js';
import type { FormBody } from '../http/form-body.js';
import { listActivatedAuthenticators } from '../orgs/authenticators.js';
import { SIGNIN_ENROL_CONTINUE_PATH, SIGNIN_ENROL_PATH } from '../paths.js';
import { findUserById, type User } from '../principals/users.js';
import type { Services } from '../services.js';
import { renderEnrolledPage, renderEnrolPage } from './enrol-pages.js';
import { activateShownDevice, deviceToShow, type EnrolmentReason, enrolmentReason, policyRefusal } from './enrolment.js';
import { redirectTo, sendPage } from './http.js';
import type { Interaction } from './interaction.js';
import { type PageErrors, renderMessagePage } from './pages.js';

const PageForm = Type.Unsafe<FormBody | undefined>({ type: 'object' });

export interface RefusalPageOptions {
  /** The field the refusal is shown next to. */
  field: string;
  withScripts: boolean;
  /** The enrolment page's QR code is a data: image. */
  withDataImages?: boolean;
}

/** What the sign-in routes lend this step: the interaction cookie, refusal pages and the end of a sign-in. */
export interface SignInSteps {
  expiredMessage: string;
  interactionOf(request: FastifyRequest, form: FormBody | undefined): Promise<Interaction | undefined>;
  setInteraction(reply: FastifyReply, interaction: Interaction): void;
  applicationName(interaction: Interaction): Promise<string>;
  refusalPage(
    request: FastifyRequest,
    reply: FastifyReply,
    error: unknown,
    render: (errors: PageErrors) => Promise<string>,
    interaction: Interaction,
    page?: RefusalPageOptions,
  ): Promise<FastifyReply>;
  finishSignIn(request: FastifyRequest, reply: FastifyReply, interaction: Interaction, user: User, amr: string[]): Promise<FastifyReply>;
}

const NOT_FOR_THIS_ACCOUNT =
  'Setting up a second factor here is only for an account that has none and needs one for this sign-in. Go back to the application and sign in again from there.';

export function registerEnrolment(app: FastifyInstance, services: Services, steps: SignInSteps): void {
  /** The sign-in past its password step, and its principal; undefined for anything else (no password step, a forged or old cookie, a wrong CSRF token). */
  async function signInOf(request: FastifyRequest, form: FormBody | undefined): Promise<{ interaction: Interaction; user: User } | undefined> {
    const interaction = await steps.interactionOf(request, form);
    const user = interaction?.userId === undefined ? undefined : await findUserById(services.store, interaction.userId);
    return interaction && user ? { interaction, user } : undefined;
  }
  const expired = (reply: FastifyReply, status: number) => sendPage(reply, status, renderMessagePage('Sign-in expired', steps.expiredMessage));
  const refused = (reply: FastifyReply) => sendPage(reply, 403, renderMessagePage('Second factor set-up not available', NOT_FOR_THIS_ACCOUNT));

  /** The enrolment page for this sign-in's device (the same one on every view), with errors next to the passcode. */
  async function enrolPage(reply: FastifyReply, interaction: Interaction, user: User, reason: EnrolmentReason) {
    const shown = await deviceToShow(services, user, interaction);
    if (shown.interaction !== interaction) steps.setInteraction(reply, shown.interaction);
    const name = await steps.applicationName(interaction);
    return async (errors: PageErrors) =>
      renderEnrolPage({ applicationName: name, reason, device: shown.device, action: SIGNIN_ENROL_PATH, csrf: interaction.csrf, errors });
  }
  const send = (reply: FastifyReply, status: number, html: string, interaction: Interaction) =>
    sendPage(reply, status, html, interaction.request.redirectUri, false, true);

  app.get(SIGNIN_ENROL_PATH, { schema: { hide: true } }, async (request, reply) => {
    const signIn = await signInOf(request, undefined);
    if (!signIn) return expired(reply, 400);
    const { interaction, user } = signIn;
    if (interaction.enrolled) {
      const page = renderEnrolledPage({
        applicationName: await steps.applicationName(interaction),
        recoveryCodes: undefined,
        action: SIGNIN_ENROL_CONTINUE_PATH,
        csrf: interaction.csrf,
      });
      return send(reply, 200, page, interaction);
    }
    const reason = await enrolmentReason(services, user, interaction.request);
    if (!reason) return refused(reply);
    const render = await enrolPage(reply, interaction, user, reason);
    return send(reply, 200, await render({}), interaction);
  });

  app.post(SIGNIN_ENROL_PATH, { schema: { hide: true, body: PageForm } }, async (request, reply) => {
    const form = request.body ?? Object.create(null);
    const signIn = await signInOf(request, form);
    if (!signIn) return expired(reply, 403);
    const { interaction, user } = signIn;
    // Posted again after it worked (a reload): the device is active, the way on is the continue page.
    if (interaction.enrolled) return redirectTo(reply, SIGNIN_ENROL_PATH);
    const reason = await enrolmentReason(services, user, interaction.request);
    if (!reason) return refused(reply);
    const passcode = form.passcode?.trim() ?? '';
    if (passcode === '') {
      const render = await enrolPage(reply, interaction, user, reason);
      return send(reply, 400, await render({ fields: { passcode: 'Enter the code from your authenticator app.' } }), interaction);
    }
    let activated: { amr: string[]; recoveryCodes: string[] };
    try {
      activated = await activateShownDevice(services, user, interaction, passcode);
    } catch (error) {
      // A wrong code here is a failed sign-in, counted per address as on the second-factor page.
      const refusal = error instanceof ApiError && error.code === 'wrong_passcode' ? new ApiError('invalid_passcode') : error;
      const render = await enrolPage(reply, interaction, user, reason);
      return steps.refusalPage(request, reply, refusal, render, interaction, { field: 'passcode', withScripts: false, withDataImages: true });
    }
    const refusal = await policyRefusal(services, user, activated.amr);
    if (refusal) return steps.refusalPage(request, reply, refusal, async () => renderMessagePage('Second factor required', refusal.message), interaction);
    steps.setInteraction(reply, { ...interaction, enrolled: { amr: activated.amr } });
    const page = renderEnrolledPage({
      applicationName: await steps.applicationName(interaction),
      recoveryCodes: activated.recoveryCodes,
      action: SIGNIN_ENROL_CONTINUE_PATH,
      csrf: interaction.csrf,
    });
    return send(reply, 200, page, interaction);
  });

  app.post(SIGNIN_ENROL_CONTINUE_PATH, { schema: { hide: true, body: PageForm } }, async (request, reply) => {
    const signIn = await signInOf(request, request.body ?? Object.create(null));
    const enrolled = signIn?.interaction.enrolled;
    if (!signIn || !enrolled) return expired(reply, 403);
    const { interaction, user } = signIn;
    // The device may have been removed or reset since: the sign-in's second factor must still stand.
    if ((await listActivatedAuthenticators(services.store, user.id)).count === 0) return expired(reply, 403);
    const refusal = await policyRefusal(services, user, enrolled.amr);
    if (refusal) return sendPage(reply, refusal.status, renderMessagePage('Second factor required', refusal.message));
    return steps.finishSignIn(request, reply, interaction, user, enrolled.amr);
  });
}
