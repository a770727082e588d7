// The shape of src/'s import graph: no file imports itself back through others, the folders form layers
// (http is framework glue, only storage speaks to the database drivers, config reads no store).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { fileEdges, findCycles, type ImportGraph, readImportGraph, readImports } from './import-graph.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

const folderOf = (file: string): string | undefined => (file.includes('/') ? file.slice(0, file.indexOf('/')) : undefined);
const show = (lines: string[]) => `\n  ${lines.join('\n  ')}`;

/** Every import of a file in `from` (a folder, or a file at the root) that breaks `rule`, as 'file -> specifier'. */
function offenders(
  graph: ImportGraph,
  from: (file: string) => boolean,
  rule: (edge: { specifier: string; target: string | undefined; typeOnly: boolean }) => boolean,
): string[] {
  return [...graph].flatMap(([file, edges]) => (from(file) ? edges.filter(rule).map((e) => `${file} -> ${e.specifier}`) : []));
}

/** Folder → the folders its files import (files at the root of src/ left out: app.ts and services.ts wire the folders together). */
function folderEdges(graph: ImportGraph): Map<string, string[]> {
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of fileEdges(graph)) {
    const from = folderOf(file);
    if (from === undefined) continue;
    const set = folders.get(from) ?? new Set<string>();
    for (const target of targets) {
      const to = folderOf(target);
      if (to !== undefined && to !== from) set.add(to);
    }
    folders.set(from, set);
  }
  return new Map([...folders].map(([folder, set]) => [folder, [...set]]));
}

describe('the import graph helpers', () => {
  it('finds every tangle, each as a cycle a -> b -> a, and nothing in a tree', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['a', 'c']],
      ['c', ['d']],
      ['d', []],
      ['e', ['e']],
      ['f', ['g']],
      ['g', ['h']],
      ['h', ['f', 'd']],
    ]);
    const cycles = findCycles(graph)
      .map((c) => c.join(' -> '))
      .sort();
    assert.deepEqual(cycles, ['a -> b -> a', 'e -> e', 'f -> g -> h -> f']);
    assert.deepEqual(
      findCycles(
        new Map([
          ['a', ['b', 'c']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
      [],
    );
  });

  it('reads static, re-exported, dynamic and type-only imports, and tells type-only ones apart', () => {
    const source = ts.createSourceFile(
      'x.ts',
      [
        "import { a } from './a.js';",
        "import type { B } from './b.js';",
        "import { type C, d } from './c.js';",
        "import { type E } from './e.js';",
        "import './f.js';",
        "export { g } from './g.js';",
        "export type { H } from './h.js';",
        "const i = await import('./i.js');",
        "let j: typeof import('./j.js');",
      ].join('\n'),
      ts.ScriptTarget.Latest,
    );
    assert.deepEqual(
      readImports(source).map((i) => `${i.specifier}${i.typeOnly ? ' (type)' : ''}`),
      ['./a.js', './b.js (type)', './c.js', './e.js (type)', './f.js', './g.js', './h.js (type)', './i.js', './j.js (type)'],
    );
  });
});

describe('src/ import graph', () => {
  const graph = readImportGraph(SRC);

  it('reads every source file and resolves its relative imports to files that exist', () => {
    assert.ok(graph.size > 50 && graph.has('app.ts') && graph.has('services.ts'));
    const dangling = offenders(
      graph,
      () => true,
      (e) => e.target !== undefined && !graph.has(e.target),
    );
    assert.deepEqual(dangling, [], `imports of files that do not exist:${show(dangling)}`);
  });

  it('has no import cycle between files (type-only imports count: a reader follows them too)', () => {
    const cycles = findCycles(fileEdges(graph)).map((cycle) => cycle.join(' -> '));
    assert.deepEqual(cycles, [], `import cycles:${show(cycles)}`);
  });

  it('has no import cycle between folders (the files at the root of src/ aside)', () => {
    const cycles = findCycles(folderEdges(graph)).map((cycle) => cycle.join(' -> '));
    assert.deepEqual(cycles, [], `folder cycles:${show(cycles)}`);
  });

  it('keeps http/ framework glue: it imports no feature folder', () => {
    const features = new Set(['tokens', 'principals', 'mfa', 'audit']);
    const found = offenders(
      graph,
      (file) => folderOf(file) === 'http',
      (e) => e.target !== undefined && features.has(folderOf(e.target) ?? ''),
    );
    assert.deepEqual(found, [], `http/ imports feature code:${show(found)}`);
  });

  it('lets only storage/ load the database drivers and the query builder', () => {
    const drivers = /^(better-sqlite3|pg|kysely)(\/|$)/;
    const found = offenders(
      graph,
      (file) => folderOf(file) !== 'storage',
      (e) => !e.typeOnly && drivers.test(e.specifier),
    );
    assert.deepEqual(found, [], `value imports of a driver outside storage/:${show(found)}`);
  });

  it('keeps config.ts free of storage/', () => {
    const found = offenders(
      graph,
      (file) => file === 'config.ts',
      (e) => e.target !== undefined && folderOf(e.target) === 'storage',
    );
    assert.deepEqual(found, [], `config.ts imports storage:${show(found)}`);
  });
});
