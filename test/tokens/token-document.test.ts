// The OpenAPI document shows the token service as it now is: every body the exchange accepts, the OAuth
// token endpoint, both discovery paths, and CSP's closed AccessTokenDto.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_DOCS_PATH } from '../../src/paths.js';
import { startTestServer, type TestServer } from '../support/server.js';

const AM = '/csp/gateway/am/api';

describe('the token service in the OpenAPI document', () => {
  let server: TestServer;
  let doc: any;
  before(async () => {
    server = await startTestServer();
    doc = await (await fetch(`${server.baseUrl}${API_DOCS_PATH}`)).json();
  });
  after(() => server.close());

  it('issue 9.1: shows form, JSON and an empty body of any type at the exchange, and both query parameters', () => {
    const op = doc.paths[`${AM}/auth/api-tokens/authorize`].post;
    assert.equal(op.requestBody.required, false);
    assert.deepEqual(Object.keys(op.requestBody.content).sort(), ['*/*', 'application/json', 'application/x-www-form-urlencoded']);
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      assert.deepEqual(Object.keys(op.requestBody.content[type].schema.properties).sort(), ['api_token', 'passcode', 'refresh_token', 'scope', 'webauthn']);
    }
    assert.equal(op.requestBody.content['*/*'].schema.maxLength, 0);
    assert.deepEqual(
      op.parameters
        .filter((p: any) => p.in === 'query')
        .map((p: any) => p.name)
        .sort(),
      ['api_token', 'refresh_token'],
    );
    assert.equal('x-optional-body' in op, false);
  });

  it("issue 9.5: documents the OAuth token endpoint with its form fields and CSP's AccessTokenDto", () => {
    const op = doc.paths[`${AM}/auth/token`].post;
    assert.deepEqual(Object.keys(op.requestBody.content), ['application/x-www-form-urlencoded']);
    const fields = Object.keys(op.requestBody.content['application/x-www-form-urlencoded'].schema.properties).sort();
    // The interactive sign-in's authorization_code grant adds code, code_verifier and redirect_uri.
    assert.deepEqual(fields, [
      'client_id',
      'client_secret',
      'code',
      'code_verifier',
      'grant_type',
      'orgId',
      'passcode',
      'redirect_uri',
      'refresh_token',
      'scope',
    ]);
    assert.equal(op.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/AccessTokenDto');
    const dto = doc.components.schemas.AccessTokenDto;
    assert.equal(dto.additionalProperties, false);
    assert.deepEqual(Object.keys(dto.properties).sort(), ['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
  });

  it('issue 9.11: documents discovery at both CSP paths', () => {
    for (const path of [`${AM}/auth/.well-known/openid-configuration`, `${AM}/.well-known/openid-configuration`]) {
      const schema = doc.paths[path]?.get?.responses['200'].content['application/json'].schema;
      assert.equal(schema?.additionalProperties, false, path);
      // Interactive sign-in exists, so discovery lists its endpoints too.
      assert.ok(schema.properties.token_endpoint && schema.properties.userinfo_endpoint && schema.properties.authorization_endpoint, path);
    }
  });
});
