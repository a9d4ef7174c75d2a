// What an API caller may put in POST /campaigns, and how it becomes campaign options (issue 13):
// - no server-side paths: `grid` is a grid's name (a file in data/egcfg) or the grid inline; `workDir` and
//   `baseModelDir` are names resolved under the server's own folders (the data folder's btp/ and models/, and the
//   folders in EGCFG_MODEL_DIRS). Errors name the field and the allowed names, never a file's contents.
// - `modelUrl` / `sourceModelUrl` only name configured model servers (core/model-servers.ts) unless the operator
//   allows any URL; keys are bound to servers, so a URL a caller chose never receives one.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from '@hono/zod-openapi';
import { inlineGridSchema, methodFields, methods, OptionsError, parseRunOptions, type Method, type RunOptions } from '../campaigns/options.ts';
import { commonFields, methodSchema } from '../campaigns/options/common.ts';
import { experimentLabelSchema } from '../campaigns/options/experiment.ts';
import { zodIssues, type Issue } from './errors.ts';
import { modelUrlRefusal, type ModelUrlPolicy } from '../core/model-servers.ts';
import { repoPath } from '../core/repo.ts';

/** A plain name: letters, digits, '.', '_' and '-', starting with a letter or digit (so never '..' nor a path). */
export const SERVER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const serverName = (what: string) => z.string().regex(SERVER_NAME_RE, `${what}: a name (letters, digits, '.', '_', '-'; no path), resolved on the server`);

export interface ServerFolders {
  /** Grid files, by name (default: data/egcfg). */
  gridsDir: string;
  /** BTP work folders are created under here (default: <data folder>/btp). */
  workRoot: string;
  /** Folders that hold model weights folders, by name (default: <data folder>/models and EGCFG_MODEL_DIRS). */
  modelDirs: string[];
}

export function serverFolders(dataDir: string, env: Record<string, string | undefined> = process.env): ServerFolders {
  const extra = (env.EGCFG_MODEL_DIRS ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((d) => resolve(d));
  return { gridsDir: repoPath('data', 'egcfg'), workRoot: resolve(dataDir, 'btp'), modelDirs: [resolve(dataDir, 'models'), ...extra] };
}

// The API's spellings of the path options: names resolved on the server (see the threat model).
const apiGrid = z.union([serverName('grid'), inlineGridSchema]).optional()
  .openapi({ description: 'a grid file of data/egcfg by name (e.g. "quick_grid"), or the grid itself' });
const apiWorkDir = serverName('workDir').optional().openapi({ description: "BTP: a folder name under the server's data folder (btp/NAME)" });
const apiBaseModelDir = serverName('baseModelDir').optional().openapi({ description: "BTP: a model folder's name under the server's model folders" });

/**
 * Each method's fields as the API takes them: no server-side file paths (datasetFile, samplesFile, authorsPrompts — a
 * checkout folder the server would read), names for the others.
 */
const { datasetFile: _datasetFile, ...apiCommonFields } = commonFields;
const { samplesFile: _samplesFile, ...apiBaselineFields } = methodFields.baseline;
const { authorsPrompts: _authorsPrompts, ...apiEgcfgFields } = methodFields['eg-cfg'];
const apiMethodFields = {
  baseline: apiBaselineFields,
  'eg-cfg': { ...apiEgcfgFields, grid: apiGrid },
  btp: { ...methodFields.btp, workDir: apiWorkDir, baseModelDir: apiBaseModelDir },
} as const;

const bodyOf = <M extends z.ZodType, F extends z.ZodRawShape>(method: M, fields: F) =>
  z.strictObject({ ...apiCommonFields, method, ...fields, experiment: experimentLabelSchema });

/**
 * POST /campaigns: exactly one method's options (campaigns/options/), a discriminated union on `method`. A body
 * without `method` is a baseline campaign (the default of `egcfg run`, kept explicitly); a field of another method
 * is refused (400, naming the field and its method).
 */
export const campaignBodySchema = z.discriminatedUnion('method', [
  bodyOf(z.literal('baseline').default('baseline').openapi({ description: 'baseline (the default when absent): one completion per problem' }), apiMethodFields.baseline),
  bodyOf(z.literal('eg-cfg').openapi({ description: 'eg-cfg: execution-guided decoding' }), apiMethodFields['eg-cfg']),
  bodyOf(z.literal('btp').openapi({ description: 'btp: beam sampling, testing, prioritized replay, LoRA' }), apiMethodFields.btp),
]).openapi('CampaignOptions', {
  description: 'The options of `egcfg run` (campaigns/options/) for one method, with names for grids and folders; `method` defaults to baseline. Without modelUrl the simulated model server of this API process answers.',
});
export type CampaignBody = z.infer<typeof campaignBodySchema>;

/** Every method's API fields in one object: the dashboard's start form (a fieldset per method) is built from it. */
export const campaignFieldsSchema = z.strictObject({
  ...apiCommonFields, method: methodSchema.default('baseline'), ...apiMethodFields.baseline, ...apiMethodFields['eg-cfg'], ...apiMethodFields.btp,
  experiment: experimentLabelSchema,
});

/** The method whose options hold `field`, if any. */
const ownerOf = (field: string): Method | undefined => methods.find((m) => field in apiMethodFields[m]);

/**
 * The 400's issues for a body the union refused, each naming its field: an unknown method lists the known ones, a
 * field of another method names that method.
 */
export function campaignBodyIssues(error: z.ZodError, input: unknown): Issue[] {
  const given = input !== null && typeof input === 'object' ? (input as Record<string, unknown>).method : undefined;
  // A body without `method` is a baseline campaign.
  const method = given === undefined ? 'baseline' : methods.find((m) => m === given);
  return zodIssues(error).map((i) => {
    if (method === undefined) {
      return i.field === 'method' ? { field: 'method', message: `unknown method ${JSON.stringify(given) ?? '(none)'}; known methods: ${methods.join(', ')}` } : i;
    }
    const owner = i.message === 'unknown field' ? ownerOf(i.field) : undefined;
    if (owner === undefined || owner === method) return i;
    const hint = given === undefined ? ` (a body without method is a ${method} campaign; set "method": "${owner}")` : '';
    return { field: i.field, message: `an option of method ${owner}, not of ${method}${hint}` };
  });
}

const list = (dir: string, suffix = ''): string[] => {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => f.slice(0, f.length - suffix.length)).sort();
  } catch {
    return [];
  }
};

function gridPath(name: string, dir: string): string {
  for (const file of [name, `${name}.json`]) {
    const path = join(dir, file);
    if (SERVER_NAME_RE.test(file) && existsSync(path) && statSync(path).isFile()) return path;
  }
  throw new OptionsError([{ field: 'grid', message: `no grid named '${name}'; known grids: ${list(dir, '.json').join(', ') || '(none)'}` }]);
}

function modelDir(name: string, dirs: string[]): string {
  for (const d of dirs) {
    const path = join(d, name);
    if (existsSync(path) && statSync(path).isDirectory()) return path;
  }
  throw new OptionsError([{ field: 'baseModelDir', message: `no model folder named '${name}' in the server's model folders (${dirs.length} configured)` }]);
}

/** Why this URL field may not be used, or nothing: every model URL a body names must pass the policy. */
export function checkModelUrls(body: { modelUrl?: string | undefined; sourceModelUrl?: string | undefined }, policy: ModelUrlPolicy): void {
  const issues = (['modelUrl', 'sourceModelUrl'] as const).flatMap((field) => {
    const url = body[field];
    const refusal = url === undefined ? undefined : modelUrlRefusal(url, policy);
    return refusal ? [{ field, message: refusal }] : [];
  });
  if (issues.length) throw new OptionsError(issues);
}

/** A validated body -> campaign options, names resolved inside the server's folders. Throws OptionsError (400). */
export function apiRunOptions(body: CampaignBody, folders: ServerFolders, policy: ModelUrlPolicy): RunOptions {
  checkModelUrls(body, policy);
  const grid = body.method === 'eg-cfg' ? body.grid : undefined;
  const workDir = body.method === 'btp' ? body.workDir : undefined;
  const baseModelDir = body.method === 'btp' ? body.baseModelDir : undefined;
  const rest: Record<string, unknown> = { ...body };
  delete rest.grid; delete rest.workDir; delete rest.baseModelDir;
  return parseRunOptions({
    ...rest,
    ...(grid === undefined ? {} : { grid: typeof grid === 'string' ? gridPath(grid, folders.gridsDir) : grid }),
    ...(workDir === undefined ? {} : { workDir: join(folders.workRoot, workDir) }),
    ...(baseModelDir === undefined ? {} : { baseModelDir: modelDir(baseModelDir, folders.modelDirs) }),
  });
}
