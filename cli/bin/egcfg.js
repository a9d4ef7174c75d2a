#!/usr/bin/env node
// The `egcfg` command. With a fresh compiled front (cli/build.ts, built by infra/setup.sh or `npm run build:cli`) the
// help, typo checks and completion run as plain JavaScript; the chosen command's TypeScript module is loaded through
// tsx only when it runs. Without one (or once any bundled source changed), everything runs from the sources via tsx.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const registerTsx = async () => (await import('tsx/esm/api')).register();

/** The compiled front's path when every file it was built from is unchanged, else undefined. */
function freshFront() {
  try {
    const manifest = JSON.parse(readFileSync(`${root}/node_modules/.cache/egcfg-cli/manifest.json`, 'utf8'));
    if (manifest.root !== root) return undefined;
    for (const [file, { size, mtimeMs }] of Object.entries(manifest.inputs)) {
      const st = statSync(file);
      if (st.size !== size || st.mtimeMs !== mtimeMs) return undefined;
    }
    return manifest.front;
  } catch {
    return undefined;
  }
}

const argv = process.argv.slice(2);
const front = process.env.EGCFG_CLI_FRONT === 'source' ? undefined : freshFront();
if (front) {
  const { main } = await import(pathToFileURL(front).href);
  process.exitCode = await main(argv, { beforeCommand: registerTsx });
} else {
  await registerTsx();
  const { main } = await import('../main.ts');
  process.exitCode = await main(argv);
}
