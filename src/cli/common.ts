// Shared CLI plumbing: argument parsing, opening the store, printing results, one-line errors.
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.js';
import { DEFAULT_DATABASE_URL } from '../config.js';
import { openStore, type Store } from '../storage/database.js';
import { findUserByUsername, type User } from '../principals/users.js';

export class CliError extends Error {}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

export type Options = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/** Every admin command takes --database and --json. */
const COMMON: Options = { database: { type: 'string' }, json: { type: 'boolean' } };

export function parseCommandArgs(args: string[], options: Options): Record<string, string | boolean | undefined> {
  try {
    // Repeatable options (multiple) come back as string arrays; their callers read them as such.
    return parseArgs({ args, options: { ...COMMON, ...options }, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

export function requireString(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new CliError(`--${name} is required`);
  return value;
}

export function databaseUrl(values: Record<string, unknown>, env: NodeJS.ProcessEnv): string {
  return (values.database as string | undefined) ?? env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

/** Open (creating and migrating if needed) the store, run the action, always close. */
export async function withStore<T>(values: Record<string, unknown>, io: CliIo, action: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(databaseUrl(values, io.env));
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

export async function requireUserByUsername(store: Store, username: string): Promise<User> {
  const user = await findUserByUsername(store, username);
  if (!user) throw new CliError(`no user named "${username}"`);
  return user;
}

/** With --json exactly one JSON object on stdout; otherwise a human line. */
export function printResult(io: CliIo, values: Record<string, unknown>, result: object, human: string): void {
  io.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${human}\n`);
}

export async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}

export const clock = systemClock;
