// A sign-in finishes once (issue 11 review): whichever step finished it (the password with MFA off, a
// passcode, a recovery code, enrolment's Continue), a copy of its sealed interaction cookie finishes nothing
// again and reaches no step of it: no second code, no enrolment, no passkey options. Over real HTTP, on
// one server, on a second copy of the service over the same database, and after a restart.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ACR_MFA } from '../../src/signin/assurance.js';
import { registerApplication } from '../../src/signin/applications.js';
import { newInteraction, sealInteraction } from '../../src/signin/interaction.js';
import { cookieNamesOf } from '../../src/signin/sessions.js';
import {
  CSP_AM_API,
  SIGNIN_ENROL_CONTINUE_PATH,
  SIGNIN_ENROL_PATH,
  SIGNIN_PASSKEY_OPTIONS_PATH,
  SIGNIN_PASSWORD_PATH,
  SIGNIN_PATH,
  SIGNIN_SECOND_FACTOR_PATH,
} from '../../src/paths.js';
import { readAuthorizationRequest } from '../../src/signin/authorization-request.js';
import { startTestServer, TestClock, type TestServer } from '../support/server.js';
import { codeFor, enrol, PERIOD_MS, stepAlignedMs } from '../mfa/support.js';
import { authorize, csrfOf, enrolmentKeyOf, HttpAgent, type Answer } from './http-agent.js';
import { freePort } from './support.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** Another browser holding a copy of this one's cookies (stolen, or the same request replayed). */
function copyOf(agent: HttpAgent, baseUrl = agent.baseUrl): HttpAgent {
  const copy = new HttpAgent(baseUrl);
  for (const [name, value] of agent.cookies) copy.cookies.set(name, value);
  return copy;
}

/** A redirect back to the application with a code. */
const codeOf = (answer: Answer): string | null => (answer.location?.startsWith(REDIRECT_URI) ? new URL(answer.location).searchParams.get('code') : null);

function assertExpired(answer: Answer, status: number): void {
  assert.equal(answer.status, status, answer.html.slice(0, 300));
  assert.equal(answer.location, undefined, 'no redirect, so no code');
  assert.match(answer.html, /Sign-in expired/);
}

describe('a sign-in finishes once', () => {
  let server: TestServer;
  let clock: TestClock;
  let clientId: string;
  const masterKey = randomBytes(32);
  let issuer: string;

  before(async () => {
    const port = await freePort();
    clock = new TestClock(stepAlignedMs());
    issuer = `http://127.0.0.1:${port}${CSP_AM_API}`;
    server = await startTestServer({ port, clock, masterKey, config: { issuer } });
    ({ clientId } = await registerApplication(server.services.store, clock, {
      name: 'Single-use App',
      redirectUris: [REDIRECT_URI],
      postLogoutRedirectUris: [],
      isPublic: false,
    }));
  });
  after(async () => server?.close());

  async function atPasswordPage(extra: Record<string, string> = {}, on = server) {
    const agent = new HttpAgent(on.baseUrl);
    await authorize(agent, clientId, REDIRECT_URI, extra);
    const page = await agent.get(SIGNIN_PATH);
    assert.equal(page.status, 200);
    return { agent, csrf: csrfOf(page.html) };
  }

  /** A principal without a device, under acr_values=MFA: past the password and the activation, at the Continue page. */
  async function atContinuePage() {
    const { user, password } = await server.createUser();
    const { agent, csrf } = await atPasswordPage({ acr_values: ACR_MFA });
    assert.equal((await agent.post(SIGNIN_PASSWORD_PATH, { csrf, username: user.username, password })).location, SIGNIN_ENROL_PATH);
    const key = enrolmentKeyOf((await agent.get(SIGNIN_ENROL_PATH)).html);
    const activated = await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode: codeFor(key, clock) });
    assert.equal(activated.status, 200, activated.html);
    return { agent, csrf, user };
  }

  it('enrolment’s Continue: a copy of the cookie posted again after the sign-in gets the expired page, not a second code', async () => {
    const { agent, csrf } = await atContinuePage();
    const copy = copyOf(agent);
    const finished = await agent.post(SIGNIN_ENROL_CONTINUE_PATH, { csrf });
    assert.ok(codeOf(finished), 'the person signs in');
    assertExpired(await copy.post(SIGNIN_ENROL_CONTINUE_PATH, { csrf }), 403);
    assertExpired(await copy.get(SIGNIN_ENROL_PATH), 400);
  });

  it('two concurrent Continue posts with the same cookie: exactly one redirect with a code', async () => {
    for (let round = 0; round < 3; round++) {
      const { agent, csrf } = await atContinuePage();
      const answers = await Promise.all([0, 1, 2].map(() => copyOf(agent).post(SIGNIN_ENROL_CONTINUE_PATH, { csrf })));
      const codes = answers.map(codeOf).filter((code) => code !== null);
      assert.equal(codes.length, 1, `round ${round}: ${answers.map((answer) => answer.status)}`);
      for (const answer of answers.filter((each) => codeOf(each) === null)) assertExpired(answer, 403);
    }
  });

  it('the store finishes an interaction once: of many concurrent finishes exactly one wins, and expired rows are swept', async () => {
    const repository = server.services.store.finishedInteractions;
    const idHash = randomBytes(32).toString('hex');
    const expiresAt = clock.now() + 60_000;
    const wins = await Promise.all(Array.from({ length: 8 }, () => repository.markFinished(idHash, expiresAt, clock.now())));
    assert.equal(wins.filter(Boolean).length, 1);
    assert.equal(await repository.isFinished(idHash), true);
    // Past its end the row goes at the next finish (its cookie is refused by its seal by then).
    const later = randomBytes(32).toString('hex');
    assert.equal(await repository.markFinished(later, expiresAt + 120_000, expiresAt), true);
    assert.equal(await repository.isFinished(idHash), false);
    assert.equal(await repository.isFinished(later), true);
  });

  it('the password step with MFA off: the same post replayed with the cookie gets the expired page', async () => {
    const { user, password } = await server.createUser();
    const { agent, csrf } = await atPasswordPage();
    const copy = copyOf(agent);
    assert.ok(codeOf(await agent.post(SIGNIN_PASSWORD_PATH, { csrf, username: user.username, password })));
    assertExpired(await copy.post(SIGNIN_PASSWORD_PATH, { csrf, username: user.username, password }), 403);
    assertExpired(await copy.get(SIGNIN_PATH), 400);
  });

  it('the passcode step: re-posted after success, even with the next valid passcode, gets nothing', async () => {
    const person = await enrol(server, clock);
    const { agent, csrf } = await atPasswordPage();
    assert.equal((await agent.post(SIGNIN_PASSWORD_PATH, { csrf, username: person.username, password: person.password })).location, SIGNIN_PATH);
    const copy = copyOf(agent);
    assert.ok(codeOf(await agent.post(SIGNIN_SECOND_FACTOR_PATH, { csrf, passcode: codeFor(person.secret, clock) })));
    clock.advance(PERIOD_MS);
    assertExpired(await copy.post(SIGNIN_SECOND_FACTOR_PATH, { csrf, passcode: codeFor(person.secret, clock) }), 403);
    assertExpired(await copy.get(SIGNIN_PATH), 400);
    // Options name the principal's credentials: not for a finished sign-in either.
    const options = await copy.post(SIGNIN_PASSKEY_OPTIONS_PATH, { csrf });
    assert.equal(options.status, 400, options.html);
    assert.equal(JSON.parse(options.html).errorCode, 'invalid_request');
  });

  it('the recovery-code step: a copy cannot spend another recovery code, which stays usable', async () => {
    const person = await enrol(server, clock);
    const { agent, csrf } = await atPasswordPage();
    await agent.post(SIGNIN_PASSWORD_PATH, { csrf, username: person.username, password: person.password });
    const copy = copyOf(agent);
    const [first, second] = person.recoveryCodes as [string, string];
    assert.ok(codeOf(await agent.post(SIGNIN_SECOND_FACTOR_PATH, { csrf, passcode: first })));
    assertExpired(await copy.post(SIGNIN_SECOND_FACTOR_PATH, { csrf, passcode: second }), 403);
    // Refused before the code was looked at: the person still has it.
    const next = await atPasswordPage();
    await next.agent.post(SIGNIN_PASSWORD_PATH, { csrf: next.csrf, username: person.username, password: person.password });
    assert.ok(codeOf(await next.agent.post(SIGNIN_SECOND_FACTOR_PATH, { csrf: next.csrf, passcode: second })));
  });

  it('a copy taken before the enrolment’s activation reaches no step once the sign-in finished', async () => {
    const { user, password } = await server.createUser();
    const { agent, csrf } = await atPasswordPage({ acr_values: ACR_MFA });
    await agent.post(SIGNIN_PASSWORD_PATH, { csrf, username: user.username, password });
    const key = enrolmentKeyOf((await agent.get(SIGNIN_ENROL_PATH)).html);
    const copy = copyOf(agent);
    await agent.post(SIGNIN_ENROL_PATH, { csrf, passcode: codeFor(key, clock) });
    assert.ok(codeOf(await agent.post(SIGNIN_ENROL_CONTINUE_PATH, { csrf })));
    // The device is removed afterwards: the copy must not set up a new one on the account (the attacker's).
    await server.services.store.devices.deleteForUser(user.id);
    clock.advance(PERIOD_MS);
    assertExpired(await copy.get(SIGNIN_ENROL_PATH), 400);
    assertExpired(await copy.post(SIGNIN_ENROL_PATH, { csrf, passcode: codeFor(key, clock) }), 403);
    assert.equal(await server.services.store.devices.findByUser(user.id), undefined, 'no device was made');
  });

  it('a cookie sealed without an interaction id (before this release) is an expired sign-in', async () => {
    const { request } = await readAuthorizationRequest(server.services, {
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const { id: _id, ...legacy } = newInteraction(server.services, request);
    const agent = new HttpAgent(server.baseUrl);
    agent.cookies.set(cookieNamesOf(server.services).interaction, sealInteraction(server.services, legacy as never));
    assertExpired(await agent.get(SIGNIN_PATH), 400);
    const { user, password } = await server.createUser();
    assertExpired(await agent.post(SIGNIN_PASSWORD_PATH, { csrf: legacy.csrf, username: user.username, password }), 403);
  });

  it('holds on another copy of the service over the same database, and after that copy restarts', async () => {
    const { agent, csrf } = await atContinuePage();
    const copy = copyOf(agent);
    assert.ok(codeOf(await agent.post(SIGNIN_ENROL_CONTINUE_PATH, { csrf })));
    let other = await startTestServer({ clock, masterKey, databaseUrl: server.testStore.url, config: { issuer } });
    try {
      assertExpired(await copyOf(copy, other.baseUrl).post(SIGNIN_ENROL_CONTINUE_PATH, { csrf }), 403);
      await other.close();
      other = await startTestServer({ clock, masterKey, databaseUrl: server.testStore.url, config: { issuer } });
      assertExpired(await copyOf(copy, other.baseUrl).post(SIGNIN_ENROL_CONTINUE_PATH, { csrf }), 403);
      // A sign-in started and finished on the other copy is finished here too.
      const person = await server.createUser();
      const started = await atPasswordPage({}, other);
      const before = copyOf(started.agent, server.baseUrl);
      const form = { csrf: started.csrf, username: person.user.username, password: person.password };
      assert.ok(codeOf(await started.agent.post(SIGNIN_PASSWORD_PATH, form)));
      assertExpired(await before.post(SIGNIN_PASSWORD_PATH, form), 403);
    } finally {
      await other.close();
    }
  });
});
