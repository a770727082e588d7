// The admin side of the crash suite: `keys rotate` and `users import`, each a CLI process of its own that
// runs while the server is SIGKILLed (and is sometimes SIGKILLed itself), checked after the restart.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { runCli } from '../src/cli/main.js';
import { BATCH_ROWS } from '../src/cli/users-import.js';
import { DEFAULT_DOMAIN, DEFAULT_ORG } from '../src/principals/users.js';
import { openStore } from '../src/storage/database.js';
import { TOKEN_PUBLIC_KEY_PATH } from '../src/paths.js';
import { StandbyProcess } from './processes.js';

const API = '/csp/gateway/iam/vmwid/api/principal/mfa';
const EXCHANGE = '/csp/gateway/am/api/auth/api-tokens/authorize';
/** More than one batch, so that a kill can land between two of the import's transactions. */
export const IMPORT_LINES = BATCH_ROWS + 200;

/** A `keys rotate` run in a round: acknowledged when the process exited 0 and printed the new kid. */
export interface RotationRun {
  proc: StandbyProcess;
  killed: boolean;
  acknowledgedKid?: string;
  kidsBefore: Set<string>;
  activeBefore: string;
}

/** A `users import` run in a round: the file's lines in order, and whether the import said it was done. */
export interface ImportRun {
  proc: StandbyProcess;
  file: string;
  usernames: string[];
  killed: boolean;
  acknowledged: boolean;
}

/** What the server publishes and signs with now, seen through a fresh token of the probe principal. */
export async function signingState(baseUrl: string, probeApiToken: string): Promise<{ kids: Set<string>; jwks: JSONWebKeySet; token: string; kid: string }> {
  const res = await fetch(`${baseUrl}${TOKEN_PUBLIC_KEY_PATH}?format=jwks`);
  if (res.status !== 200) throw new Error(`token-public-key answered ${res.status}`);
  const jwks = (await res.json()) as JSONWebKeySet;
  const exchange = await fetch(`${baseUrl}${EXCHANGE}`, { method: 'POST', body: new URLSearchParams({ api_token: probeApiToken }) });
  if (exchange.status !== 200) throw new Error(`the probe's exchange answered ${exchange.status}: ${await exchange.text()}`);
  const token = ((await exchange.json()) as { access_token: string }).access_token;
  return { kids: new Set(jwks.keys.map((k) => k.kid!)), jwks, token, kid: decodeProtectedHeader(token).kid! };
}

export function startRotation(databaseUrl: string, keyFile: string, proc: StandbyProcess, before: { kids: Set<string>; kid: string }): RotationRun {
  proc.run(['keys', 'rotate', '--database', databaseUrl, '--master-key-file', keyFile, '--json']);
  return { proc, killed: false, kidsBefore: before.kids, activeBefore: before.kid };
}

export async function settleRotation(run: RotationRun): Promise<void> {
  const { code } = await run.proc.exited;
  if (code === 0) run.acknowledgedKid = (JSON.parse(run.proc.stdout) as { kid: string }).kid;
}

/**
 * After the restart: the key ring opened (the server is up), the key that signs is whole (its tokens verify
 * against the published keys and are accepted), an acknowledged rotation's key is the one that signs, and
 * an unacknowledged one added at most one key and left one of the two signing.
 */
export async function checkRotation(baseUrl: string, probeApiToken: string, run: RotationRun): Promise<string[]> {
  const out: string[] = [];
  const now = await signingState(baseUrl, probeApiToken);
  try {
    await jwtVerify(now.token, createLocalJWKSet(now.jwks));
  } catch (error) {
    out.push(`a fresh token does not verify against the published keys: ${(error as Error).message}`);
  }
  const status = await fetch(`${baseUrl}${API}/status`, { headers: { 'csp-auth-token': now.token } });
  if (status.status !== 200) out.push(`a fresh token signed by ${now.kid} is refused (${status.status})`);
  const added = [...now.kids].filter((kid) => !run.kidsBefore.has(kid));
  if (run.acknowledgedKid) {
    if (!now.kids.has(run.acknowledgedKid)) out.push(`the acknowledged rotation's key ${run.acknowledgedKid} is not published`);
    if (now.kid !== run.acknowledgedKid) out.push(`the acknowledged rotation's key ${run.acknowledgedKid} does not sign (${now.kid} does)`);
  } else if (now.kid !== run.activeBefore && !added.includes(now.kid)) {
    out.push(`an unacknowledged rotation left ${now.kid} signing, neither the key before nor a new one`);
  }
  if (added.length > 1) out.push(`one rotation added ${added.length} keys`);
  return out;
}

/** A file of IMPORT_LINES users (every other one with a password hash) for the round. */
export function writeImportFile(dir: string, round: number, passwordHash: string): { file: string; usernames: string[] } {
  const usernames = Array.from({ length: IMPORT_LINES }, (_, i) => `imp-r${round}-${i}`);
  const file = join(dir, `import-r${round}.jsonl`);
  writeFileSync(file, usernames.map((username, i) => JSON.stringify(i % 2 ? { username } : { username, passwordHash })).join('\n') + '\n');
  return { file, usernames };
}

export function startImport(databaseUrl: string, proc: StandbyProcess, file: { file: string; usernames: string[] }): ImportRun {
  proc.run(['users', 'import', '--file', file.file, '--database', databaseUrl, '--json']);
  return { proc, ...file, killed: false, acknowledged: false };
}

export async function settleImport(run: ImportRun): Promise<void> {
  const { code } = await run.proc.exited;
  if (code !== 0) return;
  const summary = JSON.parse(run.proc.stdout) as { imported: number; existing: number };
  run.acknowledged = summary.imported + summary.existing === run.usernames.length;
}

/**
 * After the restart, in the store: every user of an acknowledged import exists exactly once and whole; a
 * killed import committed whole batches only (the file's first k × BATCH_ROWS lines); running the import
 * again finishes it, inserting exactly the users that were missing.
 */
export async function checkImport(databaseUrl: string, run: ImportRun, passwordHash: string): Promise<{ violations: string[]; partial: boolean }> {
  const out: string[] = [];
  const present = async (): Promise<boolean[]> => {
    const store = await openStore(databaseUrl);
    try {
      const found: boolean[] = [];
      for (const [i, username] of run.usernames.entries()) {
        const rows = await store.principals.findAllNamedInDomain(DEFAULT_DOMAIN, username);
        if (rows.length > 1) out.push(`${username} exists ${rows.length} times`);
        const user = rows[0];
        if (user && (user.orgId !== DEFAULT_ORG || !user.enabled || user.passwordHash !== (i % 2 ? null : passwordHash)))
          out.push(`${username} is not the row the file describes: ${JSON.stringify({ ...user, passwordHash: user.passwordHash && '…' })}`);
        found.push(user !== undefined);
      }
      return found;
    } finally {
      await store.close();
    }
  };
  const found = await present();
  const count = found.filter(Boolean).length;
  if (run.acknowledged && count !== run.usernames.length) out.push(`an acknowledged import of ${run.usernames.length} users left ${count}`);
  if (count % BATCH_ROWS !== 0 && count !== run.usernames.length) out.push(`${count} users imported: not a whole number of ${BATCH_ROWS}-row batches`);
  if (found.some((f, i) => i > 0 && f && !found[i - 1])) out.push('the imported users are not the first lines of the file');
  const partial = count > 0 && count < run.usernames.length;
  if (!run.acknowledged) {
    let stdout = '';
    const code = await runCli(['users', 'import', '--file', run.file, '--database', databaseUrl, '--json'], {
      stdout: { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream,
      stderr: { write: () => true } as unknown as NodeJS.WritableStream,
      stdin: process.stdin,
      env: {},
    });
    const summary = code === 0 ? (JSON.parse(stdout) as { imported: number; existing: number }) : undefined;
    if (!summary || summary.imported !== run.usernames.length - count || summary.existing !== count)
      out.push(`importing again after ${count} of ${run.usernames.length}: exit ${code}, ${stdout.trim()}`);
    else if ((await present()).some((f) => !f)) out.push('importing again did not complete the import');
  }
  return { violations: out, partial };
}
