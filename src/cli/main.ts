// Entry of the admin CLI (bin/principal-mfa): dispatches to one command of the table in commands.ts; bad input → one line on stderr, exit 2.
import { CLI_COMMANDS } from './commands.js';
import { CliError, type CliIo } from './common.js';
import { renderActionUsage, renderCommandHelp, renderUsage } from './usage.js';

/** Runs one command; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === '--help' || command === 'help') {
      io.stdout.write(rest[0] === undefined ? renderUsage() : (renderCommandHelp(rest[0]) ?? unknownCommand(rest[0])));
      return 0;
    }
    if (command === undefined) throw new CliError('missing command (try --help)');
    const entries = CLI_COMMANDS.filter((entry) => entry.command === command);
    if (entries.length === 0) unknownCommand(command);
    // Commands with actions take it as the first word; a leading flag means none was given.
    const [first, ...afterFirst] = rest;
    const takesAction = entries.some((entry) => entry.actions.length > 0);
    const action = takesAction && first !== undefined && !first.startsWith('--') ? first : undefined;
    const entry = takesAction ? entries.find((e) => action !== undefined && e.actions.includes(action)) : entries[0];
    if (!entry) throw new CliError(renderActionUsage(command));
    await entry.run(action, action === undefined ? rest : afterFirst, io);
    return 0;
  } catch (error) {
    const message = error instanceof CliError ? error.message : `failed: ${(error as Error).message}`;
    io.stderr.write(`principal-mfa: ${message.split('\n')[0]}\n`);
    return error instanceof CliError ? 2 : 1;
  }
}

function unknownCommand(command: string): never {
  throw new CliError(`unknown command "${command}" (try --help)`);
}
