// Absolute paths inside the repository, independent of the current working directory.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot: string = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoPath = (...parts: string[]): string => join(repoRoot, ...parts);
