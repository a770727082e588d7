// docs/errors.md and the error table in src/errors.ts stay in sync: same codes, statuses, module and CSP codes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERRORS } from '../../src/errors.js';

interface DocRow {
  status: number;
  moduleCode: number;
  cspErrorCode: string;
  when: string;
}

/** Rows of the table whose first cell is a `code`: | `code` | status | moduleCode | cspErrorCode | when |. */
function documentedErrors(): Map<string, DocRow> {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, DocRow>();
  for (const line of text.split('\n')) {
    const match = /^\|\s*`([a-z0-9_]+)`\s*\|\s*(\d{3})\s*\|\s*(\d+)\s*\|\s*([^|\s]+)\s*\|(.*)\|\s*$/.exec(line);
    if (!match) continue;
    const [, code, status, moduleCode, cspErrorCode, when] = match as unknown as [string, string, string, string, string, string];
    assert.ok(!rows.has(code), `docs/errors.md lists ${code} twice`);
    rows.set(code, { status: Number(status), moduleCode: Number(moduleCode), cspErrorCode, when: when.trim() });
  }
  return rows;
}

describe('docs/errors.md', () => {
  const documented = documentedErrors();

  it('documents every code of the error table with its status, moduleCode and cspErrorCode', () => {
    const missing = Object.keys(ERRORS).filter((code) => !documented.has(code));
    assert.deepEqual(missing, [], `add rows to docs/errors.md for: ${missing.join(', ')}`);
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = documented.get(code)!;
      assert.deepEqual(
        { status: row.status, moduleCode: row.moduleCode, cspErrorCode: row.cspErrorCode },
        { status: spec.status, moduleCode: spec.moduleCode, cspErrorCode: spec.cspErrorCode },
        `docs/errors.md row for ${code}`,
      );
      assert.ok(row.when.length > 10, `docs/errors.md explains when ${code} is sent`);
    }
  });

  it('documents nothing that is not in the error table', () => {
    const extra = [...documented.keys()].filter((code) => !(code in ERRORS));
    assert.deepEqual(extra, [], `docs/errors.md lists codes that src/errors.ts does not have: ${extra.join(', ')}`);
  });

  it('gives every code its own cspErrorCode, with the statusCode inside it', () => {
    const seen = new Set<string>();
    for (const [code, spec] of Object.entries(ERRORS)) {
      assert.ok(!seen.has(spec.cspErrorCode), `${code} reuses ${spec.cspErrorCode}`);
      seen.add(spec.cspErrorCode);
      assert.match(spec.cspErrorCode, new RegExp(`^${spec.moduleCode}\\.${spec.status}-\\d+$`));
    }
  });
});
