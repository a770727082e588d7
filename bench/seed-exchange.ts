// Principals for the exchange figures of `npm run bench`: API tokens of users with MFA off, and API
// tokens of users with an activated TOTP device (the seed sealed with the server's master key).
import { randomBytes, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { TOTP_PARAMETERS } from '../src/mfa/devices.js';
import { encryptSeed } from '../src/mfa/seed-crypto.js';
import { generateSecret as generateTotpSecret } from '../src/mfa/totp.js';
import { generateSecret, hashSecret } from '../src/secrets/bearer-secrets.js';
import { API_TOKEN_PREFIX } from '../src/tokens/api-tokens.js';

export interface ExchangeHolders {
  mfaOff: { id: string }[];
  totp: { id: string }[];
}

export interface SeededExchange {
  apiTokens: string[];
  totp: { apiToken: string; secretHex: string }[];
}

export function seedExchangePrincipals(sqlite: Database.Database, holders: ExchangeHolders, masterKey: Buffer): SeededExchange {
  const insertToken = sqlite.prepare('insert into api_tokens (id, user_id, token_hash, created_at) values (?, ?, ?, ?)');
  const insertDevice = sqlite.prepare(
    `insert into mfa_devices (user_id, device_name, secret_ciphertext, algorithm, digits, period_seconds, activated_at, turned_on, created_at)
     values (?, 'phone', ?, ?, ?, ?, ?, 1, ?)`,
  );
  const now = Date.now();
  const apiTokenOf = (userId: string) => {
    const apiToken = generateSecret(API_TOKEN_PREFIX);
    insertToken.run(randomUUID(), userId, hashSecret(apiToken), now);
    return apiToken;
  };
  const { algorithm, digits, period } = TOTP_PARAMETERS;
  return sqlite.transaction(() => ({
    apiTokens: holders.mfaOff.map((holder) => apiTokenOf(holder.id)),
    totp: holders.totp.map((holder) => {
      const secret = generateTotpSecret(randomBytes);
      insertDevice.run(holder.id, encryptSeed(masterKey, secret, holder.id), algorithm, digits, period, now, now);
      return { apiToken: apiTokenOf(holder.id), secretHex: Buffer.from(secret).toString('hex') };
    }),
  }))();
}
