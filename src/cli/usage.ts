// `principal-mfa help [command]`, and the one-line usage errors, rendered from the command table.
import { CLI_COMMANDS, type CliAction, type CliCommand } from './commands.js';

/** Synopsis lines wrap before this column, continuing under the first option. */
const WIDTH = 110;

const DATABASE_NOTE = 'Every command takes --database URL (default sqlite:./data/principal-mfa.db, env DATABASE_URL).';

/** `principal-mfa users create --username U [--org ORG] …`, wrapped under the first option when it is long. */
function renderSynopsis(command: CliCommand, action: CliAction): string[] {
  const head = `principal-mfa ${[command.name, action.names.join('|')].filter(Boolean).join(' ')}`;
  const lines: string[] = [];
  let line = head;
  for (const { usage } of action.options) {
    if (line !== head && `${line} ${usage}`.length > WIDTH) {
      lines.push(line);
      line = ' '.repeat(head.length);
    }
    line += ` ${usage}`;
  }
  return [...lines, line, `    ${action.summary}`];
}

/** Every command: its synopsis and one line on what it does. README.md's "Admin CLI" block is exactly this. */
export function renderUsage(): string {
  const lines = ['usage: principal-mfa <command> [options]   (principal-mfa help <command> explains each option)', ''];
  for (const command of CLI_COMMANDS) for (const action of command.actions) lines.push(...renderSynopsis(command, action));
  lines.push('', DATABASE_NOTE);
  return `${lines.join('\n')}\n`;
}

/** One command's forms with each option explained. */
export function renderCommandHelp(command: CliCommand): string {
  const lines: string[] = [];
  for (const action of command.actions) {
    const labels = action.options.map((option) => option.usage.replace(/^\| /, '').replace(/^\[(.*)\]$/, '$1'));
    const column = Math.max(...labels.map((label) => label.length)) + 2;
    lines.push(...renderSynopsis(command, action));
    action.options.forEach((option, i) => lines.push(`      ${(labels[i] as string).padEnd(column)}${option.help}`));
    lines.push('');
  }
  lines.push(DATABASE_NOTE);
  return `${lines.join('\n')}\n`;
}

/** The one-line error for a missing or unknown action: `usage: principal-mfa users create|import|… [options] …`. */
export function renderActionUsage(command: CliCommand): string {
  const names = command.actions.flatMap((action) => action.names);
  return `usage: principal-mfa ${command.name} ${names.join('|')} [options]   (principal-mfa help ${command.name} explains them)`;
}
