// `serve --dev`: on an empty store, a demo user and API token, and curl commands to try them.
// Only demo data: logging, limits and performance are the same as without --dev.
import { createApiToken } from '../tokens/api-tokens.js';
import { hashPassword } from '../principals/passwords.js';
import { createUser, findUserByUsername } from '../principals/users.js';
import { DEFAULT_DATABASE_URL } from '../config.js';
import type { Services } from '../services.js';
import type { CliIo } from './common.js';
import { API_TOKEN_EXCHANGE_PATH, AUTHORIZATION_PATH, MFA_BASE, TOKEN_ENDPOINT_PATH } from '../paths.js';
import { registerApplication } from '../signin/applications.js';
import { createHash, randomBytes } from 'node:crypto';

export const DEMO_USERNAME = 'demo';
export const DEMO_PASSWORD = 'demo-password';

export async function printDevQuickstart(services: Services, address: string, io: CliIo): Promise<void> {
  const { store, clock } = services;
  const anyUser = await store.principals.hasAny();
  const base = address.replace('://0.0.0.0', '://127.0.0.1').replace('://[::]', '://127.0.0.1');
  const lines = ['', '── principal-mfa development quickstart ──'];
  if (anyUser) {
    // Still copy-paste ready (a second `npm start` lands here): the same store, a fresh API token.
    const database = services.config.databaseUrl === DEFAULT_DATABASE_URL ? '' : ` --database '${services.config.databaseUrl.replace(/'/g, `'\\''`)}'`;
    lines.push('The store already has users, so no demo data was created. A new API token for the demo user:', '');
    if (!(await findUserByUsername(store, DEMO_USERNAME))) lines.push(`  node bin/principal-mfa users create --username ${DEMO_USERNAME}${database}`);
    lines.push(`  API_TOKEN=$(node bin/principal-mfa api-tokens create --username ${DEMO_USERNAME}${database})`);
  } else {
    const user = await createUser(store, clock, { username: DEMO_USERNAME, passwordHash: await hashPassword(DEMO_PASSWORD) });
    const apiToken = await createApiToken(store, clock, user.id);
    lines.push(`Created user "${DEMO_USERNAME}" (password "${DEMO_PASSWORD}") and an API token (shown only now).`, '');
    lines.push(`  API_TOKEN=${apiToken}`);
  }
  lines.push(
    `  ACCESS_TOKEN=$(curl -s -X POST ${base}${API_TOKEN_EXCHANGE_PATH} \\`,
    `      -d "api_token=$API_TOKEN" | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    `  curl -s ${base}${MFA_BASE}/status -H "csp-auth-token: $ACCESS_TOKEN"`,
    '',
  );
  lines.push(...mfaEnrolmentLines(base));
  lines.push(...(await signInLines(services, base, !anyUser)));
  io.stderr.write(`${lines.join('\n')}\n`);
}

/** MFA enrolment with a command-line authenticator (oathtool: Debian package `oathtool`); docs/mfa.md has the full flow. */
function mfaEnrolmentLines(base: string): string[] {
  const mfa = `${base}${MFA_BASE}`;
  const json = `-H "csp-auth-token: $ACCESS_TOKEN" -H 'content-type: application/json'`;
  return [
    'Turn MFA on (docs/mfa.md has the whole flow):',
    `  SECRET=$(curl -s -X POST ${mfa}/device ${json} -d '{"deviceName":"laptop"}' | sed -E 's/.*"secret":"([^"]+)".*/\\1/')`,
    `  curl -s -X POST ${mfa}/device/activate ${json} -d "{\\"passcode\\":\\"$(oathtool --totp -b $SECRET)\\"}"`,
    `  sleep 30; curl -s -X POST ${base}${API_TOKEN_EXCHANGE_PATH} -d "api_token=$API_TOKEN" -d "passcode=$(oathtool --totp -b $SECRET)"`,
    '',
  ];
}

/** Where the demo application's browser comes back to: nothing needs to listen there, the code is in the address bar. */
export const DEMO_REDIRECT_URI = 'http://127.0.0.1:8000/callback';

/**
 * Interactive sign-in (docs/sign-in.md): the self-service page, and on a new store a demo public application
 * with a ready authorization URL (PKCE included) and the code exchange to paste after signing in.
 */
async function signInLines(services: Services, base: string, newStore: boolean): Promise<string[]> {
  const lines = ['Sign in in a browser (docs/sign-in.md):', `  ${base}/mfa  → Sign in (${DEMO_USERNAME} / ${DEMO_PASSWORD})`, ''];
  if (!newStore) return lines;
  const { clientId } = await registerApplication(services.store, services.clock, {
    name: 'Demo application',
    redirectUris: [DEMO_REDIRECT_URI],
    postLogoutRedirectUris: [],
    isPublic: true,
  });
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: DEMO_REDIRECT_URI,
    scope: 'openid profile offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'demo',
  });
  lines.push(
    `A demo application (public client ${clientId}) signs in at this URL; afterwards the browser shows`,
    `${DEMO_REDIRECT_URI}?code=… (nothing listens there). Within 60 s, exchange the code:`,
    `  ${base}${AUTHORIZATION_PATH}?${query}`,
    `  curl -s -X POST ${base}${TOKEN_ENDPOINT_PATH} -d grant_type=authorization_code -d client_id=${clientId} \\`,
    `      -d redirect_uri=${DEMO_REDIRECT_URI} -d code_verifier=${verifier} -d code=CODE_FROM_THE_ADDRESS_BAR`,
    '',
  );
  return lines;
}
