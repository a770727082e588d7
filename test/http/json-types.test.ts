// JSON bodies are taken at their JSON type: no coercion of null, numbers, strings or one-element arrays
// into what the schema wants. A wrong type is a 400 invalid_request that names the field.
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { after, before, describe, it } from 'node:test';
import { Type } from 'typebox';
import { FORM_CONTENT_TYPE, parseFormBody } from '../../src/http/form-body.js';
import { schemaController } from '../../src/http/validation.js';
import { enrol, MFA, postJson, stepAlignedMs } from '../mfa/support.js';
import { expectCspError, startTestServer, TestClock, type TestServer } from '../support/server.js';

describe('JSON type coercion', () => {
  let server: TestServer;
  const clock = new TestClock(stepAlignedMs());
  let e: Awaited<ReturnType<typeof enrol>>;
  before(async () => {
    server = await startTestServer({ clock });
    e = await enrol(server, clock, 'phone');
  });
  after(() => server.close());

  async function expectTypeError(path: string, body: unknown, field: string, method = 'POST') {
    const res = await postJson(server, path, e.accessToken, body, method);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(expectCspError(res.body, 400).errorCode, 'invalid_request');
    assert.match(res.body.message, new RegExp(`\\b${field}\\b`), 'the message names the field');
  }

  async function mfaState() {
    return (await postJson(server, `${MFA}/status`, e.accessToken, undefined, 'GET')).body;
  }

  for (const turnedOn of [null, 0, 'false', [false], '']) {
    it(`finding 8.11: refuses {"turnedOn": ${JSON.stringify(turnedOn)}} with a 400 naming turnedOn, and MFA stays on`, async () => {
      await expectTypeError(MFA, { password: e.password, turnedOn }, 'turnedOn', 'PATCH');
      assert.equal((await mfaState()).turnedOn, true);
    });
  }

  for (const deviceName of [123, ['tablet'], null, true]) {
    it(`finding 8.11: refuses {"deviceName": ${JSON.stringify(deviceName)}} with a 400 naming deviceName, and the name stays`, async () => {
      await expectTypeError(`${MFA}/device`, { deviceName }, 'deviceName', 'PATCH');
      assert.equal((await mfaState()).deviceName, 'phone');
    });
  }

  for (const startDate of ['0', null, [0], false]) {
    it(`finding 8.11: refuses an audit startDate of ${JSON.stringify(startDate)} with a 400 naming startDate`, async () => {
      await expectTypeError(`${MFA}/audit`, { startDate, endDate: clock.now() }, 'startDate');
    });
  }

  it('finding 8.11: refuses a passcode sent as a number', async () => {
    await expectTypeError(`${MFA}/recovery-codes`, { passcode: 123456 }, 'passcode');
  });

  it('still takes well-typed JSON bodies', async () => {
    const res = await postJson(server, `${MFA}/audit`, e.accessToken, { startDate: 0, endDate: clock.now(), pageLimit: 1 });
    assert.equal(res.status, 200);
    assert.equal(res.body.results.length, 1);
  });
});

describe('query strings and form bodies', () => {
  it('are still read as their schemas say: their values are always text', async () => {
    const app = Fastify({ schemaController });
    app.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string' }, async (_request: unknown, body: string) => parseFormBody(body));
    const Numbers = Type.Object({ count: Type.Integer(), on: Type.Boolean() });
    app.post('/q', { schema: { querystring: Numbers } }, async (request) => request.query);
    app.post(
      '/form',
      { schema: { body: { content: { [FORM_CONTENT_TYPE]: { schema: Numbers }, 'application/json': { schema: Numbers } } } } },
      async (request) => request.body,
    );
    try {
      assert.deepEqual((await app.inject({ method: 'POST', url: '/q?count=3&on=true' })).json(), { count: 3, on: true });
      const form = await app.inject({ method: 'POST', url: '/form', headers: { 'content-type': FORM_CONTENT_TYPE }, payload: 'count=3&on=false' });
      assert.deepEqual(form.json(), { count: 3, on: false });
      const json = await app.inject({ method: 'POST', url: '/form', headers: { 'content-type': 'application/json' }, payload: '{"count":"3","on":"false"}' });
      assert.equal(json.statusCode, 400, 'the same fields in JSON must have JSON types');
    } finally {
      await app.close();
    }
  });
});
