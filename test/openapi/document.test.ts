// The OpenAPI document: valid OpenAPI 3.1, errors documented as CspErrorResponse, served at CSP's path,
// and the interactive reference served locally under a strict Content-Security-Policy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { API_DOCS_PATH } from '../../src/paths.js';
import { checkResponse, OpenApiMismatch } from '../support/openapi-check.js';
import { startTestServer, type TestServer } from '../support/server.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

describe('OpenAPI document', () => {
  let server: TestServer;
  let doc: any;

  before(async () => {
    server = await startTestServer();
    const res = await fetch(`${server.baseUrl}${API_DOCS_PATH}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    doc = await res.json();
  });
  after(() => server.close());

  it('is served at CSP api-docs path and passes a standard OpenAPI 3.1 validator', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  it('documents the status endpoint and the token endpoints from the route schemas', () => {
    assert.ok(doc.paths['/csp/gateway/iam/vmwid/api/principal/mfa/status']?.get);
    assert.ok(doc.paths['/csp/gateway/am/api/auth/api-tokens/authorize']?.post);
    const status = doc.paths['/csp/gateway/iam/vmwid/api/principal/mfa/status'].get;
    assert.equal(status.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/UserMfaStatusDto');
    assert.deepEqual(Object.keys(doc.components.schemas.UserMfaStatusDto.properties).sort(), ['activated', 'deviceName', 'turnedOn', 'username']);
  });

  it('documents every error status of every operation as a CspErrorResponse', () => {
    let operations = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        operations++;
        const errors = Object.keys(op.responses).filter((s) => Number(s) >= 400);
        assert.ok(errors.includes('500'), `${method} ${path} lacks 500`);
        for (const status of errors) {
          assert.equal(
            op.responses[status].content?.['application/json']?.schema?.$ref,
            '#/components/schemas/CspErrorResponse',
            `${method} ${path} ${status}`,
          );
        }
      }
    }
    assert.ok(operations >= 5);
    assert.deepEqual(Object.keys(doc.components.schemas.CspErrorResponse.properties).sort(), [
      'cspErrorCode',
      'errorCode',
      'message',
      'moduleCode',
      'requestId',
      'statusCode',
    ]);
  });

  it('declares the csp-auth-token header and Authorization: Bearer schemes and every principal MFA operation takes either', () => {
    assert.deepEqual(doc.components.securitySchemes.cspAuthToken, {
      type: 'apiKey',
      in: 'header',
      name: 'csp-auth-token',
      description: doc.components.securitySchemes.cspAuthToken.description,
    });
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: doc.components.securitySchemes.bearerAuth.description,
    });
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      if (!path.startsWith('/csp/gateway/iam/vmwid/api/principal/mfa')) continue;
      for (const method of METHODS) if (item[method]) assert.deepEqual(item[method].security, [{ cspAuthToken: [] }, { bearerAuth: [] }], `${method} ${path}`);
    }
  });

  it('keeps the page, the docs and other non-API routes out of the document', () => {
    for (const path of Object.keys(doc.paths)) assert.match(path, /^\/csp\/gateway\//);
    assert.equal(doc.paths[API_DOCS_PATH], undefined);
  });

  it('serves the interactive reference at /docs from local files under a strict policy with no inline script', async () => {
    const res = await fetch(`${server.baseUrl}/docs`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https:/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0);
    for (const [, attrs, body] of scripts) {
      assert.equal(body?.trim(), '', 'no inline script');
      const src = /src="([^"]+)"/.exec(attrs ?? '')?.[1];
      assert.ok(src && !/^https?:/.test(src), `script ${src} is served locally`);
      const asset = await fetch(new URL(src, `${server.baseUrl}/docs`));
      assert.equal(asset.status, 200, src);
      await asset.arrayBuffer();
    }
    const json = await fetch(`${server.baseUrl}/docs/json`);
    assert.deepEqual(await json.json(), doc);
  });

  it('response checking refuses a status the document does not list and a body that breaks the schema', async () => {
    const path = '/csp/gateway/iam/vmwid/api/principal/mfa/status';
    const json = 'application/json; charset=utf-8';
    await assert.rejects(checkResponse(server.app, 'GET', path, 418, '{}', json), OpenApiMismatch);
    await assert.rejects(checkResponse(server.app, 'GET', path, 200, '{"activated":"yes"}', json), OpenApiMismatch);
    await assert.rejects(checkResponse(server.app, 'GET', '/nowhere', 404, '{"message":"x"}', json), OpenApiMismatch);
    await checkResponse(server.app, 'GET', path, 200, '{"activated":false,"turnedOn":false,"username":"u"}', json);
  });
});
