// Reading a grid JSON file from disk. CLIENT / ACTIVITY SIDE ONLY (node:fs); workflows receive parsed grids.
import { readFileSync } from 'node:fs';
import { parseGrid, type GridFile } from './grid.ts';

/** Reads and validates a grid file; errors name the file and, for schema problems, every offending path. */
export function loadGridFile(path: string): GridFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read grid file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`grid file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseGrid(json, `grid file ${path}`);
}
