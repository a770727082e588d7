// `principal-mfa help [command]`, and the one-line usage errors, rendered from the command table.
import { CLI_COMMANDS, type CliCommand } from './commands.js';

/** Synopsis lines wrap before this column, continuing under the first option. */
const WIDTH = 110;

export const DATABASE_NOTE = 'Every command takes --database URL (default sqlite:./data/principal-mfa.db, env DATABASE_URL).';

function commandWords(entry: CliCommand): string {
  return entry.actions.length === 0 ? entry.command : `${entry.command} ${entry.actions.join('|')}`;
}

/** `principal-mfa users create --username U [--org ORG] …`, wrapped under the first option when it is long. */
function renderSynopsis(entry: CliCommand): string[] {
  const head = `principal-mfa ${commandWords(entry)}`;
  const lines: string[] = [];
  let line = head;
  for (const { usage } of entry.options) {
    if (line !== head && `${line} ${usage}`.length > WIDTH) {
      lines.push(line);
      line = ' '.repeat(head.length);
    }
    line += ` ${usage}`;
  }
  return [...lines, line];
}

/** Every command: its synopsis and one line on what it does. README.md's "Admin CLI" block is exactly this. */
export function renderUsage(): string {
  const lines = ['usage: principal-mfa <command> [options]   (principal-mfa help <command> explains each option)', ''];
  for (const entry of CLI_COMMANDS) lines.push(...renderSynopsis(entry), `    ${entry.summary}`);
  lines.push('', DATABASE_NOTE);
  return `${lines.join('\n')}\n`;
}

/** One command's rows with each option explained; undefined for a command not in the table. */
export function renderCommandHelp(command: string): string | undefined {
  const entries = CLI_COMMANDS.filter((entry) => entry.command === command);
  if (entries.length === 0) return undefined;
  const lines: string[] = [];
  for (const entry of entries) {
    const labels = entry.options.map((option) => option.usage.replace(/^\| /, '').replace(/^\[(.*)\]$/, '$1'));
    const column = Math.max(...labels.map((label) => label.length)) + 2;
    lines.push(...renderSynopsis(entry), `    ${entry.summary}`);
    entry.options.forEach((option, i) => lines.push(`      ${(labels[i] as string).padEnd(column)}${option.help}`));
    lines.push('');
  }
  lines.push(DATABASE_NOTE);
  return `${lines.join('\n')}\n`;
}

/** The one-line error for a missing or unknown action: `usage: principal-mfa users create|import|… [options] …`. */
export function renderActionUsage(command: string): string {
  const actions = CLI_COMMANDS.filter((entry) => entry.command === command).flatMap((entry) => entry.actions);
  return `usage: principal-mfa ${command} ${actions.join('|')} [options]   (principal-mfa help ${command} explains them)`;
}
