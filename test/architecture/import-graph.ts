// The import graph of src/, read with the TypeScript parser: every module specifier of every file
// (static, re-export, dynamic, type-only), and the cycles in it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** As written: './x.js', 'kysely'. */
  specifier: string;
  /** The imported file relative to the root ('tokens/x.ts'); undefined for a package. */
  target: string | undefined;
  /** Erased at compile time (`import type`, or only `type` specifiers): it loads nothing, but a reader still follows it. */
  typeOnly: boolean;
}

/** File (relative to the root, '/'-separated) → its imports. */
export type ImportGraph = Map<string, ImportEdge[]>;

function listTypeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTypeScriptFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Whether an import or export clause names only types (so the compiled file does not load the module). */
function isTypeOnlyClause(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    return (
      node.exportClause !== undefined &&
      ts.isNamedExports(node.exportClause) &&
      node.exportClause.elements.length > 0 &&
      node.exportClause.elements.every((e) => e.isTypeOnly)
    );
  }
  const clause = node.importClause;
  if (!clause) return false; // import './side-effect.js'
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((e) => e.isTypeOnly)
  );
}

/** Every module specifier in `source`, with whether it is type-only; dynamic import() always loads the module. */
export function readImports(source: ts.SourceFile): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: isTypeOnlyClause(node) });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true }); // typeof import('./x.js')
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The graph of every .ts file under `root`; relative specifiers resolve './x.js' to './x.ts' (NodeNext style). */
export function readImportGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const path of listTypeScriptFiles(root)) {
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const edges = readImports(source).map(({ specifier, typeOnly }) => ({
      specifier,
      typeOnly,
      target: specifier.startsWith('.')
        ? relative(root, resolve(dirname(path), specifier.replace(/\.js$/, '.ts')))
            .split('\\')
            .join('/')
        : undefined,
    }));
    graph.set(relative(root, path).split('\\').join('/'), edges);
  }
  return graph;
}

/** Tarjan's strongly connected components: every group of nodes that reach each other. */
function stronglyConnected(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    components.push(component.sort());
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) connect(node);
  return components;
}

/** The shortest way from `start` back to itself inside `members` (breadth first), as [start, …, start]. */
function shortestCycle(start: string, members: ReadonlySet<string>, edges: ReadonlyMap<string, readonly string[]>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const next of edges.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        return [...path, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start]; // unreachable for a member of a cycle
}

/**
 * One cycle per tangle: for every group of nodes that import each other (and every node that imports
 * itself), the shortest cycle through each member that no earlier cycle of the group passed.
 */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  for (const component of stronglyConnected(edges)) {
    const members = new Set(component);
    const [only] = component;
    if (component.length === 1 && !(edges.get(only!) ?? []).includes(only!)) continue;
    const covered = new Set<string>();
    for (const start of component) {
      if (covered.has(start)) continue;
      const cycle = shortestCycle(start, members, edges);
      for (const node of cycle) covered.add(node);
      cycles.push(cycle);
    }
  }
  return cycles;
}

/** File-to-file edges inside the graph (packages left out). */
export function fileEdges(graph: ImportGraph): Map<string, string[]> {
  return new Map([...graph].map(([file, imports]) => [file, [...new Set(imports.flatMap((i) => (i.target && graph.has(i.target) ? [i.target] : [])))]]));
}
