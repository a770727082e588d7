// The CLI's one command table: `help` prints it, README.md shows it verbatim, and every flag it lists is a real one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI_COMMANDS, type CliCommand } from '../../src/cli/commands.js';
import { renderCommandHelp, renderUsage } from '../../src/cli/usage.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { runCliInProcess } from '../support/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const flagsOf = (usage: string) => usage.match(/--[a-z-]+/g) ?? [];

/** The code block under a heading of a Markdown file. */
function codeBlockUnder(file: string, heading: string): string {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const section = text.slice(text.indexOf(`\n${heading}\n`));
  const match = /\n```\n([\s\S]*?)```\n/.exec(section);
  assert.ok(match, `no code block under ${heading} in ${file}`);
  return match[1] as string;
}

describe('principal-mfa help', () => {
  it('README.md shows exactly what `principal-mfa help` prints', () => {
    assert.equal(codeBlockUnder('README.md', '## Admin CLI'), renderUsage());
  });

  it('prints the usage for help and --help, and one command explained for help <command>, with exit 0', async () => {
    for (const args of [['help'], ['--help']]) assert.deepEqual(await runCliInProcess(args), { code: 0, stdout: renderUsage(), stderr: '' });
    const users = await runCliInProcess(['help', 'users']);
    assert.equal(users.code, 0);
    assert.equal(users.stdout, renderCommandHelp(CLI_COMMANDS.find((command) => command.name === 'users') as CliCommand));
    for (const flag of ['--username', '--password-stdin', '--org', '--file', '--subject', '--domain', '--json'])
      assert.ok(users.stdout.includes(`      ${flag} `), flag);
  });

  it('answers help for an unknown command, a missing action and an unknown one with one usage line and exit 2', async () => {
    assert.match((await runCliInProcess(['help', 'frobnicate'])).stderr, /^principal-mfa: unknown command "frobnicate" \(try --help\)\n$/);
    for (const args of [['users'], ['users', '--json'], ['mfa', 'wipe'], ['keys', 'spin']]) {
      const result = await runCliInProcess(args);
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        new RegExp(`^principal-mfa: usage: principal-mfa ${args[0]} [a-z|-]+ \\[options\\]   \\(principal-mfa help ${args[0]} explains them\\)\\n$`),
      );
    }
  });

  it('lists every action with a summary and every option with its help', () => {
    const names = CLI_COMMANDS.flatMap((command) =>
      command.actions.flatMap((action) => (action.names.length === 0 ? [command.name] : action.names.map((a) => `${command.name} ${a}`))),
    );
    assert.deepEqual(names, [
      'serve',
      ...['create', 'import', 'set-password', 'disable', 'enable', 'delete', 'list', 'show', 'grant'].map((a) => `users ${a}`),
      'api-tokens create',
      'api-tokens revoke',
      'clients create',
      'keys rotate',
      'mfa reset',
      'mfa unlock',
      'orgs policy',
      'orgs policy',
    ]);
    for (const action of CLI_COMMANDS.flatMap((command) => command.actions)) {
      assert.ok(action.summary.length > 0, action.names.join('|'));
      for (const option of action.options) assert.ok(flagsOf(option.usage).length > 0 && option.help.length > 0, option.usage);
    }
  });
});

describe('the flags in the command table', () => {
  it('lists exactly the serve flags that docs/configuration.md documents, and serve accepts each of them', () => {
    const serve = CLI_COMMANDS.find((command) => command.name === 'serve');
    const listed = (serve?.actions ?? []).flatMap((action) => action.options.flatMap((option) => flagsOf(option.usage)));
    const docs = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const documented = [...docs.matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1]);
    assert.deepEqual([...listed].sort(), [...new Set(documented)].sort());
    for (const flag of listed) {
      // Given without its value, a known flag fails for that reason (or not at all), never as an unknown option.
      try {
        loadConfig([flag], {});
      } catch (error) {
        assert.ok(error instanceof ConfigError && !/Unknown option/.test(error.message), `${flag}: ${(error as Error).message}`);
      }
    }
  });

  it('every other command accepts each flag it lists, and --database', async () => {
    for (const command of CLI_COMMANDS.filter((entry) => entry.name !== 'serve')) {
      for (const action of command.actions) {
        for (const name of action.names) {
          for (const flag of ['--database', ...action.options.flatMap((option) => flagsOf(option.usage))]) {
            // A lone flag fails on a missing value or a missing required flag before any store is opened; a command
            // whose flags are all optional (users list --json) may succeed on the empty in-memory store instead.
            const result = await runCliInProcess([command.name, name, '--database', 'sqlite::memory:', flag]);
            assert.ok(result.code === 2 || (result.code === 0 && result.stderr === ''), `${command.name} ${name} ${flag}: ${result.stderr}`);
            assert.doesNotMatch(result.stderr, /Unknown option/, `${command.name} ${name} ${flag}`);
          }
        }
      }
    }
  });
});
