// Fails (exit 1) when the project's own modules import each other in a cycle, or a layer imports one it must not
// (activities never import workflows/, api/ never imports cli/, core/ imports only core/); part of `npm run lint`.
// Every relative import counts — `import type` and `export … from` too — so a module's dependencies always form a
// tree: shared types and helpers live in their own modules (e.g. core/contracts.ts) that everyone imports.
// Usage: node --import tsx infra/import-cycles.ts [folder …]   (default: the folders tsconfig.json includes)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { repoPath } from '../core/repo.ts';

const root = repoPath();
const skip = new Set(['node_modules', '.data', '.tools', 'out', 'results', 'test-artifacts', '.schemathesis']);

function tsFiles(dir: string, acc: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (skip.has(name) || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, acc);
    else if (/\.(ts|mts|tsx)$/.test(name) && !name.endsWith('.d.ts')) acc.push(p);
  }
  return acc;
}

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('./') && !spec.startsWith('../')) return undefined;
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** Relative module specifiers of one file: static imports and re-exports (type-only included) and dynamic import('…'). */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const specs: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) specs.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specs.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs;
}

/** Strongly connected components (Tarjan), each with more than one module or a module importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return out;
}

/** One shortest import path from `start` back to itself inside a component. */
function exampleCycle(graph: Map<string, string[]>, scc: Set<string>, start: string): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!scc.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0]!)!);
        return [...path, start];
      }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return [start];
}

function defaultFolders(): string[] {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), (p) => ts.sys.readFile(p)).config as { include?: string[] };
  return config.include ?? ['.'];
}

const folders = process.argv.slice(2).length ? process.argv.slice(2) : defaultFolders();
const files = folders.flatMap((f) => (existsSync(resolve(root, f)) ? tsFiles(resolve(root, f)) : []));
const graph = new Map<string, string[]>();
for (const file of files) {
  const deps = importsOf(file).map((s) => resolveImport(file, s)).filter((d): d is string => d !== undefined);
  graph.set(file, [...new Set(deps)]);
}
const rel = (p: string): string => relative(root, p);

/** Layers: a module under `from` must not import one under any of `not` (folder prefixes of repository paths). */
const layers: Array<{ from: string; not: string[]; why: string }> = [
  { from: 'activities/', not: ['workflows/'], why: 'activities share types with workflows through core/contracts.ts' },
  { from: 'api/', not: ['cli/'], why: 'the API is a library the CLI uses, not the other way round' },
  { from: 'core/', not: ['activities/', 'api/', 'campaigns/', 'cli/', 'db/', 'workers/', 'workflows/'], why: 'core/ is the shared domain code everything imports' },
];
const violations: string[] = [];
for (const [file, deps] of graph) {
  for (const layer of layers) {
    if (!rel(file).startsWith(layer.from)) continue;
    for (const dep of deps) {
      if (layer.not.some((p) => rel(dep).startsWith(p))) violations.push(`${rel(file)} imports ${rel(dep)} (${layer.why})`);
    }
  }
}
for (const v of violations) process.stderr.write(`layer: ${v}\n`);

const found = cycles(graph);
for (const scc of found) {
  const members = new Set(scc);
  const start = [...members].sort()[0]!;
  process.stderr.write(`import cycle (${scc.length} modules): ${exampleCycle(graph, members, start).map(rel).join(' -> ')}\n`);
}
if (found.length === 0 && violations.length === 0) {
  process.stdout.write(`import graph: no cycles, no layer violations (${files.length} modules)\n`);
} else {
  process.stderr.write(`${found.length} import cycle(s), ${violations.length} layer violation(s): move what the modules share into a module of its own\n`);
  process.exitCode = 1;
}
