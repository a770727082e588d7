// Entry of the admin CLI (bin/principal-mfa): dispatches to one command; bad input → one line on stderr, exit 2.
import { apiTokensCommand } from './api-tokens.js';
import { clientsCommand } from './clients.js';
import { CliError, type CliIo } from './common.js';
import { keysCommand } from './keys.js';
import { mfaCommand } from './mfa.js';
import { serveCommand } from './serve.js';
import { usersCommand } from './users.js';

const USAGE = `usage: principal-mfa <command> [options]
  serve [--host H] [--port P] [--dev] [--rate-limit-per-minute N] [--database URL] ...
  users create --username U [--password-stdin] [--org ORG] [--json]
  users import --file users.jsonl [--json]     (one {"username","org","passwordHash"} per line)
  users disable|enable|delete --username U [--domain D] [--json]   (or --subject S --domain D)
  users set-password --username U --password-stdin    (one line from stdin; on a terminal, a prompt without echo)
  api-tokens create --username U [--domain D] [--json]
  api-tokens revoke --username U [--domain D] [--json]
  clients create --name N [--json]
  keys rotate [--revoke-previous] --master-key-file PATH   (the only command besides serve that needs the master key)
  mfa reset --username U [--domain D] [--json]
Every command takes --database URL (default sqlite:./data/principal-mfa.db, env DATABASE_URL).`;

type Command = (action: string | undefined, args: string[], io: CliIo) => Promise<void>;

export const COMMANDS: Record<string, Command> = {
  users: usersCommand,
  'api-tokens': apiTokensCommand,
  clients: clientsCommand,
  keys: keysCommand,
  mfa: mfaCommand,
};

/** Runs one command; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'serve') {
      await serveCommand(rest, io);
      return 0;
    }
    if (command === '--help' || command === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (command === undefined) throw new CliError('missing command (try --help)');
    const handler = COMMANDS[command];
    if (!handler) throw new CliError(`unknown command "${command}" (try --help)`);
    const [action, ...args] = rest;
    await handler(action?.startsWith('--') ? undefined : action, action?.startsWith('--') ? rest : args, io);
    return 0;
  } catch (error) {
    const message = error instanceof CliError ? error.message : `failed: ${(error as Error).message}`;
    io.stderr.write(`principal-mfa: ${message.split('\n')[0]}\n`);
    return error instanceof CliError ? 2 : 1;
  }
}
