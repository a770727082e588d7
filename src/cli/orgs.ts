// principal-mfa orgs policy show --org O [--json] | orgs policy set --org O --file policy.json|-:
// the same policy document as GET/PUT …/orgs/{orgId}/mfa/policy, changed as `admin` and audited.
import { readFile } from 'node:fs/promises';
import { ADMIN_ACTOR } from '../audit/record.js';
import { DEFAULT_POLICY, parsePolicy } from '../orgs/policy.js';
import { readOrgPolicy, setOrgPolicy } from '../orgs/policy-store.js';
import { isValidOrgId, ORG_ID_RULE } from '../principals/names.js';
import { type CliIo, CliError, clock, parseCommandArgs, readStdin, requireString, withStore } from './common.js';

const USAGE = 'usage: principal-mfa orgs policy show --org O [--json] | orgs policy set --org O --file policy.json|-';

export async function orgsCommand(action: string | undefined, args: string[], io: CliIo): Promise<void> {
  const [verb, ...rest] = args;
  if (action !== 'policy' || (verb !== 'show' && verb !== 'set')) throw new CliError(USAGE);
  const values = parseCommandArgs(rest, { org: { type: 'string' }, file: { type: 'string' } });
  const orgId = requireString(values, 'org');
  if (!isValidOrgId(orgId)) throw new CliError(`--org may hold ${ORG_ID_RULE}`);
  if (verb === 'show') {
    const stored = await withStore(values, io, (store) => readOrgPolicy(store, orgId));
    // The policy document itself, in both modes: scripts read it, and it is what `set` takes back.
    io.stdout.write(`${JSON.stringify(stored?.policy ?? DEFAULT_POLICY, null, values.json ? undefined : 2)}\n`);
    return;
  }
  const file = requireString(values, 'file');
  const text =
    file === '-'
      ? await readStdin(io.stdin)
      : await readFile(file, 'utf8').catch((e: Error) => Promise.reject(new CliError(`cannot read ${file}: ${e.message}`)));
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new CliError(`${file === '-' ? 'standard input' : file} is not JSON`);
  }
  const parsed = parsePolicy(document);
  if ('errors' in parsed) throw new CliError(`the policy is invalid: ${parsed.errors.join('; ')}`);
  const stored = await withStore(values, io, (store) => setOrgPolicy(store, clock, orgId, parsed.policy, ADMIN_ACTOR));
  io.stdout.write(values.json ? `${JSON.stringify(stored)}\n` : `set the MFA policy of ${orgId}\n`);
}
