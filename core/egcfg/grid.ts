// Agent grid (spec §1.1, §1.2, §8): the grid file schema (shaped like the authors' `dynamic_signals_params.json`),
// its expansion into agent configurations, and agent names. PURE and deterministic: safe in Temporal workflows
// (zod is pure JavaScript). Reading the file from disk: grid-file.ts (client/activity side).

import { z } from 'zod';
import { DEFAULT_GAMMAS } from './constants.ts';
import { pyFloatRepr } from './pyrepr.ts';

export const PROMPT_TYPES = ['deepseek_instruct', 'long_code'] as const;
export type PromptType = (typeof PROMPT_TYPES)[number];
export const PromptTypeSchema = z.enum(PROMPT_TYPES);

/** One agent: a hyperparameter combination; every agent is run with every γ of the gamma list. */
export interface AgentConfig {
  /** Candidate sampling temperature. */
  t: number;
  /** Unique candidates per refresh. */
  s: number;
  /** Completion horizon in lines; null = unbounded (`inf` / None in the authors' files). */
  d: number | null;
  /** Refresh the signal every k completed lines. */
  k: number;
  promptType: PromptType;
  /** PartialExecution signal; the paper's grid launcher hard-codes it off. */
  partialEnabled: boolean;
}

export interface NamedAgentConfig extends AgentConfig {
  name: string;
}

function uniqueBy<T>(label: string, key: (v: T) => string) {
  return (arr: T[], ctx: z.RefinementCtx): void => {
    const seen = new Map<string, number>();
    arr.forEach((v, i) => {
      const kk = key(v);
      const prev = seen.get(kk);
      if (prev !== undefined) ctx.addIssue({ code: 'custom', message: `duplicate ${label} value ${kk} (also at index ${prev})`, path: [i] });
      else seen.set(kk, i);
    });
  };
}

const dKey = (d: number | null | 'inf'): string => (d === null || d === 'inf' ? 'inf' : String(d));

/** The grid file: every key required, no other key allowed, each list non-empty and duplicate-free. */
export const GridSchema = z
  .object({
    t: z
      .array(z.number().min(0, 'temperature must be >= 0').max(10, 'temperature must be <= 10'))
      .min(1, 't must list at least one temperature')
      .superRefine(uniqueBy('t', (v: number) => String(v))),
    s: z
      .array(z.number().int('s must be an integer').min(1, 's must be >= 1'))
      .min(1, 's must list at least one value')
      .superRefine(uniqueBy('s', (v: number) => String(v))),
    d: z
      .array(
        z.union([z.number().int('d must be an integer').min(0, 'd must be >= 0'), z.null(), z.literal('inf')], {
          error: 'd must be an integer >= 0, null or "inf"',
        }),
      )
      .min(1, 'd must list at least one value')
      .superRefine(uniqueBy('d', dKey)),
    k: z
      .array(z.number().int('k must be an integer').min(1, 'k must be >= 1'))
      .min(1, 'k must list at least one value')
      .superRefine(uniqueBy('k', (v: number) => String(v))),
    prompt_type: z
      .array(PromptTypeSchema)
      .min(1, 'prompt_type must list at least one prompt type')
      .superRefine(uniqueBy('prompt_type', (v: string) => v)),
  })
  .strict();

export type GridFile = z.infer<typeof GridSchema>;

/** CFG strengths: non-empty, finite, duplicate-free (order matters: they are tried in order). */
export const GammasSchema = z
  .array(z.number().min(0, 'gamma must be >= 0').max(100, 'gamma must be <= 100'))
  .min(1, 'at least one gamma is required')
  .superRefine(uniqueBy('gamma', (v: number) => String(v)));

/** Validates grid JSON; throws an Error whose message lists every problem with its path. */
export function parseGrid(json: unknown, source = 'grid'): GridFile {
  const r = GridSchema.safeParse(json);
  if (!r.success) throw new Error(`invalid ${source}:\n${z.prettifyError(r.error)}`);
  return r.data;
}

export function parseGammas(json: unknown, source = 'gammas'): number[] {
  const r = GammasSchema.safeParse(json);
  if (!r.success) throw new Error(`invalid ${source}:\n${z.prettifyError(r.error)}`);
  return r.data;
}

/**
 * All agent configurations of a grid, in the authors' order: their grid launcher expands the file with sklearn's
 * ParameterGrid, which sorts the keys (d, k, prompt_type, s, t; their fixed n, p, g have one value each) and varies the
 * last one fastest, so d is outermost and t innermost, each list in file order. partialEnabled is false (as the paper's
 * grid launcher). Input is validated first.
 */
export function expandGrid(grid: unknown): NamedAgentConfig[] {
  const g = parseGrid(grid);
  const out: NamedAgentConfig[] = [];
  for (const d of g.d)
    for (const k of g.k)
      for (const promptType of g.prompt_type)
        for (const s of g.s)
          for (const t of g.t) {
            const cfg: AgentConfig = { t, s, d: d === 'inf' ? null : d, k, promptType, partialEnabled: false };
            out.push({ ...cfg, name: agentName(cfg) });
          }
  return out;
}

/**
 * `ns{s}t{t}d{d}k{k}[_lci]_ln`: t as Python prints a float (0.7, 1.0, 1e-05), d = `inf` when unbounded,
 * `_lci` for the long_code prompt, `_ln` = line guidance. Example: ns3t0.75d5k1_lci_ln.
 */
export function agentName(cfg: Pick<AgentConfig, 't' | 's' | 'd' | 'k' | 'promptType'>): string {
  const d = cfg.d === null ? 'inf' : String(cfg.d);
  return `ns${cfg.s}t${pyFloatRepr(cfg.t)}d${d}k${cfg.k}${cfg.promptType === 'long_code' ? '_lci' : ''}_ln`;
}

const NAME_RE = /^ns(\d+)t(\d+(?:\.\d+)?(?:e[+-]\d+)?)d(\d+|inf|None)k(\d+)(_lci)?_ln$/;

/**
 * Inverse of agentName (also accepts `dNone`, the authors' spelling of an unbounded horizon, and integer-looking t
 * such as `t1`). partialEnabled = false. Throws on anything else.
 */
export function parseAgentName(name: string): AgentConfig {
  const m = NAME_RE.exec(name);
  if (!m) throw new RangeError(`parseAgentName: ${JSON.stringify(name)} is not of the form ns{s}t{t}d{d}k{k}[_lci]_ln`);
  const s = Number(m[1]);
  const k = Number(m[4]);
  if (s < 1) throw new RangeError(`parseAgentName: s must be >= 1 in ${JSON.stringify(name)}`);
  if (k < 1) throw new RangeError(`parseAgentName: k must be >= 1 in ${JSON.stringify(name)}`);
  const d = m[3] === 'inf' || m[3] === 'None' ? null : Number(m[3]);
  return { t: Number(m[2]), s, d, k, promptType: m[5] ? 'long_code' : 'deepseek_instruct', partialEnabled: false };
}

/** The γ list tried per agent, in order: [0, 0.5, 1, 3]. */
export function defaultGammas(): number[] {
  return [...DEFAULT_GAMMAS];
}

/** Freezes a grid and its lists (the exported constants must not be mutated by callers). */
function deepFreeze(g: GridFile): GridFile {
  for (const v of Object.values(g)) Object.freeze(v);
  return Object.freeze(g);
}

/** The paper's grid (= data/egcfg/dynamic_signals_params.json): 6 t × 1 s × 4 d × 1 k × 2 prompts = 48 agents. */
export const PAPER_GRID: GridFile = deepFreeze({
  t: [0.7, 0.75, 0.85, 0.95, 1.2, 1.5],
  s: [3],
  d: [2, 3, 6, 8],
  k: [1],
  prompt_type: ['deepseek_instruct', 'long_code'],
});

/** A 2-agent grid for smoke runs (= data/egcfg/quick_grid.json). */
export const QUICK_GRID: GridFile = deepFreeze({
  t: [0.7],
  s: [3],
  d: [2],
  k: [1],
  prompt_type: ['deepseek_instruct', 'long_code'],
});

/** (agent, γ) pairs: agents in order, and for each agent its γ values in order. */
export function agentRuns(agents: NamedAgentConfig[], gammas: number[] = defaultGammas()): Array<{ agent: NamedAgentConfig; gamma: number }> {
  const gs = parseGammas(gammas);
  return agents.flatMap((agent) => gs.map((gamma) => ({ agent, gamma })));
}

/**
 * Where the authors' code would write the result of one (agent, task, γ), relative to the results directory:
 * `<dataset>/<model with "/" → "_">/<agent>/task_id=<id>_gamma=<γ as a Python float>.json`
 * (e.g. `mbpp/deepseek-ai_deepseek-coder-1.3b-instruct/ns3t0.7d2k1_ln/task_id=11_gamma=0.0.json`).
 * For exporting results in their layout; our own storage is the database.
 */
export function authorsResultPath(dataset: string, model: string, agent: string, taskId: string | number, gamma: number): string {
  for (const [label, v] of [['dataset', dataset], ['agent', agent], ['taskId', String(taskId)]] as const) {
    if (v === '' || v.includes('/')) throw new RangeError(`authorsResultPath: ${label} must be non-empty and contain no "/", got ${JSON.stringify(v)}`);
  }
  if (model === '') throw new RangeError('authorsResultPath: model is empty');
  return `${dataset}/${model.split('/').join('_')}/${agent}/task_id=${String(taskId)}_gamma=${pyFloatRepr(gamma)}.json`;
}
