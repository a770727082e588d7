// principal-mfa keys rotate [--revoke-previous]: the one admin command that needs the master key.
import { setTimeout as sleep } from 'node:timers/promises';
import { KEY_WATCH_INTERVAL_MS } from '../tokens/key-ring.js';
import { revokeSigningKeys, rotateSigningKeys } from '../tokens/signing-keys.js';
import { type CliIo, CliError, clock, databaseUrl, parseCommandArgs, printResult, withStore } from './common.js';
import { asOperatorError, loadCommandMasterKey } from './master-key.js';

const USAGE = 'usage: principal-mfa keys rotate [--revoke-previous] --master-key-file PATH';

export async function keysCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, { 'master-key-file': { type: 'string' }, 'revoke-previous': { type: 'boolean' } });
  if (action !== 'rotate') throw new CliError(USAGE);
  // Before the store is opened: a refused key changes nothing.
  const masterKey = await loadCommandMasterKey('keys rotate', values['master-key-file'] as string | undefined, io.env, databaseUrl(values, io.env));
  if (!values['revoke-previous']) {
    const { kid, ecKid } = await withStore(values, io, (store) => asOperatorError(rotateSigningKeys(store, clock, masterKey)));
    printResult(
      io,
      values,
      { kid, ecKid },
      `new signing key ${kid} (RS256) and ${ecKid} (ES256 ID tokens); previous keys stay published until their tokens expire`,
    );
    return;
  }
  const { kid, ecKid, revoked } = await withStore(values, io, (store) => asOperatorError(revokeSigningKeys(store, clock, masterKey)));
  // Every running copy reads the key generation once per interval: after two, none trusts the revoked keys.
  await sleep(2 * KEY_WATCH_INTERVAL_MS);
  printResult(
    io,
    values,
    { kid, ecKid, revoked },
    `new signing key ${kid} (RS256) and ${ecKid} (ES256 ID tokens); revoked ${revoked.length} previous key(s): every running copy now refuses their tokens`,
  );
}
