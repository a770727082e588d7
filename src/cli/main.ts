// Entry of the admin CLI (bin/principal-mfa): dispatches to one command of the table in commands.ts; bad input → one line on stderr, exit 2.
import { CLI_COMMANDS, type CliCommand } from './commands.js';
import { CliError, type CliIo } from './common.js';
import { renderActionUsage, renderCommandHelp, renderUsage } from './usage.js';

/** Runs one command; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === '--help' || name === 'help') {
      io.stdout.write(rest[0] === undefined ? renderUsage() : renderCommandHelp(findCommand(rest[0])));
      return 0;
    }
    if (name === undefined) throw new CliError('missing command (try --help)');
    const command = findCommand(name);
    if (command.actions.every((action) => action.names.length === 0)) {
      await command.run(undefined, rest, io);
      return 0;
    }
    // The action is the first word; a leading flag means none was given.
    const [word, ...args] = rest;
    if (word === undefined || word.startsWith('--') || !command.actions.some((action) => action.names.includes(word)))
      throw new CliError(renderActionUsage(command));
    await command.run(word, args, io);
    return 0;
  } catch (error) {
    const message = error instanceof CliError ? error.message : `failed: ${(error as Error).message}`;
    io.stderr.write(`principal-mfa: ${message.split('\n')[0]}\n`);
    return error instanceof CliError ? 2 : 1;
  }
}

function findCommand(name: string): CliCommand {
  const command = CLI_COMMANDS.find((entry) => entry.name === name);
  if (!command) throw new CliError(`unknown command "${name}" (try --help)`);
  return command;
}
