// Valid credentials of every kind for the fuzzer: a user's access token, an API token, a service account's
// access token and its client id:secret, a user with an activated device.
import type { FuzzCredentials } from './fuzz.js';
import { serviceAccountToken, type TestServer } from '../test/support/server.js';

export async function fuzzCredentials(server: TestServer): Promise<FuzzCredentials> {
  const plain = await server.accessTokenFor(`fuzz-plain-${Date.now()}`);
  const other = await server.accessTokenFor(`fuzz-other-${Date.now()}`);
  const client = await server.createClient(`fuzz-client-${Date.now()}`);
  return {
    tokens: [plain.accessToken, other.accessToken, plain.apiToken, await serviceAccountToken(server)],
    basic: [`${client.clientId}:${client.clientSecret}`],
  };
}
