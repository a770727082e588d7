// principal-mfa users set-password --username U --password-stdin: one line from stdin, or on a terminal a
// prompt (twice, without echo); the password rules of `users create`.
import { createInterface } from 'node:readline';
import { hashPassword } from '../principals/passwords.js';
import { setUserPasswordHash } from '../principals/users.js';
import { type CliIo, CliError, parseCommandArgs, printResult, requireString, requireUserByUsername, withStore } from './common.js';

export const MIN_PASSWORD_LENGTH = 8;

/** The one rule for a password set from the CLI (`users create` and `users set-password`). */
export function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new CliError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
}

/** The first line of a pipe or file (without its line end); stops reading there, so an open pipe does not hold us. */
async function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input: stdin, crlfDelay: Infinity });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
  }
}

/**
 * Reads one line from a terminal in raw mode, so nothing typed is echoed. Backspace edits; Ctrl-C and
 * Ctrl-D on an empty line cancel.
 */
function promptHidden(input: NodeJS.ReadStream, output: NodeJS.WritableStream, prompt: string): Promise<string> {
  // Echo off before the prompt shows: anything typed after it is never displayed.
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  output.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (outcome: () => void) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      outcome();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(() => resolve(typed));
        if (ch === '\u0003' || (ch === '\u0004' && typed === '')) return finish(() => reject(new CliError('cancelled; the password is unchanged')));
        if (ch === '\u007f' || ch === '\b') typed = Array.from(typed).slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
  });
}

async function readNewPassword(io: CliIo): Promise<string> {
  const input = io.stdin as NodeJS.ReadStream;
  if (input.isTTY !== true) return readFirstLine(io.stdin);
  // Nothing echoes, so a typo would go unseen: ask twice.
  const password = await promptHidden(input, io.stderr, 'New password: ');
  checkNewPassword(password);
  if ((await promptHidden(input, io.stderr, 'Repeat it: ')) !== password) throw new CliError('the two passwords differ; the password is unchanged');
  return password;
}

export async function setPasswordCommand(args: string[], io: CliIo): Promise<void> {
  const values = parseCommandArgs(args, { username: { type: 'string' }, 'password-stdin': { type: 'boolean' } });
  const username = requireString(values, 'username');
  // Never from an argument: it would show in `ps` and the shell history.
  if (!values['password-stdin']) throw new CliError('--password-stdin is required: the password is read from stdin (or a prompt on a terminal)');
  const password = await readNewPassword(io);
  checkNewPassword(password);
  const passwordHash = await hashPassword(password);
  const user = await withStore(values, io, async (store) => {
    const found = await requireUserByUsername(store, username);
    await setUserPasswordHash(store, found.id, passwordHash);
    return found;
  });
  printResult(io, values, { id: user.id, username: user.username }, `password set for user ${user.username}`);
}
