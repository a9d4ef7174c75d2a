// The model catalogue (data/models/catalogue.json): real, openly licensed models that ship inside ordinary PyPI
// packages, with how to assemble each GGUF, its checksum, licence, context, chat template, stops and serving recipes.
// Validated with zod when read; a name that is not in it is an error that lists the catalogue.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { repoPath } from '../repo.ts';
import { cacheDir } from '../tools.ts';

const PackageSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/),
  version: z.string().regex(/^[A-Za-z0-9._+-]+$/),
  /** The file inside the wheel that holds (a part of) the GGUF. */
  member: z.string().min(1),
});

export const CatalogueModelSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  title: z.string(),
  family: z.string(),
  licence: z.string(),
  parameters: z.string(),
  quantization: z.string(),
  file: z.string().regex(/^[A-Za-z0-9._-]+\.gguf$/),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** 'single': one member is the whole GGUF; 'concat': the members, in order, concatenated. */
  assemble: z.enum(['single', 'concat']),
  packages: z.array(PackageSchema).min(1),
  contextLength: z.number().int().positive(),
  /** The context the local server is started with (memory and speed on 2 cores). */
  servedContext: z.number().int().positive(),
  chatTemplate: z.string(),
  stopTokens: z.array(z.string()),
  promptFormat: z.enum(['chat', 'raw']),
  recipes: z.array(z.string()),
});
export type CatalogueModel = z.infer<typeof CatalogueModelSchema>;

const CatalogueSchema = z.object({ version: z.literal(1), models: z.array(CatalogueModelSchema).min(1) });

let cached: CatalogueModel[] | undefined;

export function catalogue(): CatalogueModel[] {
  if (cached) return cached;
  const file = repoPath('data', 'models', 'catalogue.json');
  const parsed = CatalogueSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  cached = parsed.data.models;
  return cached;
}

export function findCatalogueModel(name: string): CatalogueModel | undefined {
  return catalogue().find((m) => m.name === name.toLowerCase());
}

export class UnknownModelError extends Error {
  constructor(readonly modelName: string) {
    super(`model '${modelName}' is not in the catalogue and no --model-url was given; catalogue models: ${catalogue().map((m) => m.name).join(', ')} ` +
      "(or pass --model-url URL for any OpenAI-compatible server, or --simulated / a model name starting with 'simulated' for the simulator)");
    this.name = 'UnknownModelError';
  }
}

/** The catalogue entry for `name`, or an error that lists the catalogue. */
export function catalogueModel(name: string): CatalogueModel {
  const m = findCatalogueModel(name);
  if (!m) throw new UnknownModelError(name);
  return m;
}

/** Where a pulled model lives: <cache>/models/<name>/<file> (+ hf/ for the Hugging Face folder). */
export function modelDir(m: CatalogueModel): string {
  return join(cacheDir(), 'models', m.name);
}
export const modelFile = (m: CatalogueModel): string => join(modelDir(m), m.file);
export const modelHfDir = (m: CatalogueModel): string => join(modelDir(m), 'hf');

/** True for names the simulator serves (the tests and the instant demo). */
export const isSimulatedName = (name: string): boolean => name.toLowerCase().startsWith('simulated');
