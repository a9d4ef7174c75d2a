// The compiled front of `egcfg` (run by infra/setup.sh and `npm run build:cli`): cli/main.ts with the command tree,
// the option schemas, commander and zod bundled into one ES module by esbuild, so `egcfg --help` runs without
// transpiling TypeScript. Each command's module stays outside the bundle (the front imports it through tsx when that
// command runs). A manifest records every bundled file's size and mtime: cli/bin/egcfg.js uses the bundle only while
// all of them are unchanged, and falls back to the sources through tsx otherwise (never a stale CLI).
import { build, type Plugin } from 'esbuild';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoPath } from '../core/repo.ts';

export const FRONT_DIR = repoPath('node_modules', '.cache', 'egcfg-cli');

/** The lazily imported modules (commands, input errors) stay TypeScript sources, imported by absolute URL. */
const lazyModules: Plugin = {
  name: 'egcfg-lazy-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\/(commands\/[a-z-]+|input-errors)\.ts$/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      return { path: pathToFileURL(resolve(args.resolveDir, args.path)).href, external: true };
    });
  },
};

/**
 * The command tree (cli/spec.ts, derived from the option schemas) evaluated now and inlined as data, so the front
 * loads neither zod nor the schemas: its help is the schemas' as of this build (the manifest tracks their files).
 */
const inlineSpec = (commandSpecs: unknown): Plugin => ({
  name: 'egcfg-inline-spec',
  setup(b) {
    b.onResolve({ filter: /^\.\/spec\.ts$/ }, (args) => ({ path: resolve(args.resolveDir, args.path), namespace: 'egcfg-spec' }));
    b.onLoad({ filter: /.*/, namespace: 'egcfg-spec' }, () => ({ contents: `export const commandSpecs = ${JSON.stringify(commandSpecs)};`, loader: 'js' }));
  },
});

/** The files cli/spec.ts is made from (bundled here only to list them). */
async function specInputs(): Promise<string[]> {
  const r = await build({ entryPoints: [repoPath('cli', 'spec.ts')], bundle: true, write: false, platform: 'node', format: 'esm', metafile: true, logLevel: 'error' });
  return Object.keys(r.metafile.inputs);
}

export async function buildFront(outDir = FRONT_DIR): Promise<{ file: string; inputs: number; bytes: number }> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'front.mjs');
  const { commandSpecs } = await import('./spec.ts');
  const result = await build({
    entryPoints: [repoPath('cli', 'main.ts')], bundle: true, format: 'esm', platform: 'node', target: 'node20',
    outfile: file, metafile: true, minify: true, legalComments: 'none', logLevel: 'error', plugins: [lazyModules, inlineSpec(commandSpecs)],
    // commander is CommonJS: its require() of node's modules needs a require in the ES module.
    banner: { js: "import { createRequire as __egcfgRequire } from 'node:module'; const require = __egcfgRequire(import.meta.url);" },
  });
  const inputs: Record<string, { size: number; mtimeMs: number }> = {};
  for (const input of [...Object.keys(result.metafile.inputs).filter((i) => !i.startsWith('egcfg-spec:')), ...await specInputs()]) {
    const path = resolve(repoPath(), input);
    const st = statSync(path);
    inputs[path] = { size: st.size, mtimeMs: st.mtimeMs };
  }
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify({ root: repoPath(), front: file, inputs }));
  return { file, inputs: Object.keys(inputs).length, bytes: statSync(file).size };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await buildFront();
  console.error(`[build:cli] ${r.file}: ${r.inputs} inputs, ${r.bytes} bytes (${dirname(r.file)}/manifest.json)`);
}
