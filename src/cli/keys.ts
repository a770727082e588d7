// principal-mfa keys rotate
import { rotateSigningKey } from '../tokens/signing-keys.js';
import { type CliIo, CliError, clock, parseCommandArgs, printResult, withStore } from './common.js';

export async function keysCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, {});
  if (action !== 'rotate') throw new CliError('usage: principal-mfa keys rotate');
  const kid = await withStore(values, io, (store) => rotateSigningKey(store, clock));
  printResult(io, values, { kid }, `new signing key ${kid}; previous keys stay published until their tokens expire`);
}
