// Reading a grid JSON file from disk. CLIENT / ACTIVITY SIDE ONLY (node:fs); workflows receive parsed grids.
import { readFileSync } from 'node:fs';
import { parseGrid, type GridFile } from './grid.ts';

/** Reads and validates a grid file; errors name the file and, for schema problems, every offending path. */
export function loadGridFile(path: string): GridFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read grid file ${path}: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // Never quote the file (node's message carries its first bytes): only where the JSON broke.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    // eslint-disable-next-line preserve-caught-error -- node's error quotes the file's first bytes: it must not travel along
    throw new Error(`grid file ${path} is not valid JSON${at ? ` (at character ${at})` : ''}`);
  }
  return parseGrid(json, `grid file ${path}`);
}
