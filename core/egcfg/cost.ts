// Cost accounting of one generation (spec §6: the authors log token counters and times per (task, γ)).
// PURE and deterministic: safe in Temporal workflows (times are measured by the caller and passed in).

export interface GenerationCost {
  /** Requests to the model server (each sampled batch of n counts once). */
  modelCalls: number;
  promptTokens: number;
  completionTokens: number;
  /** Sandboxed program runs (one per candidate × test case). */
  sandboxExecutions: number;
  /** Milliseconds spent in the sandbox (sum over runs). */
  sandboxMs: number;
  /** Wall-clock milliseconds. */
  wallMs: number;
}

export const COST_FIELDS = ['modelCalls', 'promptTokens', 'completionTokens', 'sandboxExecutions', 'sandboxMs', 'wallMs'] as const;

export function zeroCost(): GenerationCost {
  return { modelCalls: 0, promptTokens: 0, completionTokens: 0, sandboxExecutions: 0, sandboxMs: 0, wallMs: 0 };
}

function check(c: Partial<GenerationCost>, label: string): void {
  for (const f of COST_FIELDS) {
    const v = c[f];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${label}.${f} must be a finite number >= 0, got ${String(v)}`);
  }
}

/** Field-wise sum; missing fields of `b` count as 0. Returns a new object. */
export function addCost(a: GenerationCost, b: Partial<GenerationCost>): GenerationCost {
  check(a, 'addCost: a');
  check(b, 'addCost: b');
  return {
    modelCalls: a.modelCalls + (b.modelCalls ?? 0),
    promptTokens: a.promptTokens + (b.promptTokens ?? 0),
    completionTokens: a.completionTokens + (b.completionTokens ?? 0),
    sandboxExecutions: a.sandboxExecutions + (b.sandboxExecutions ?? 0),
    sandboxMs: a.sandboxMs + (b.sandboxMs ?? 0),
    wallMs: a.wallMs + (b.wallMs ?? 0),
  };
}

export function sumCosts(costs: Array<Partial<GenerationCost>>): GenerationCost {
  return costs.reduce<GenerationCost>((acc, c) => addCost(acc, c), zeroCost());
}

/**
 * Costs split by phase, so that a result can report guidance vs candidate-sampling tokens like the authors'
 * `guidance_*_tokens` / `beam_search_*_tokens` counters: reasoning = reasoning-prefix / γ=0 call(s); guidance = the
 * one-token CFG calls and γ=1 line calls; candidates = candidate sampling (incl. early-stop conditional sampling) and
 * the traced runs of the candidates.
 */
export const COST_PHASES = ['reasoning', 'guidance', 'candidates'] as const;
export type CostPhase = (typeof COST_PHASES)[number];
export type PhaseCosts = Record<CostPhase, GenerationCost>;

export function zeroPhaseCosts(): PhaseCosts {
  return { reasoning: zeroCost(), guidance: zeroCost(), candidates: zeroCost() };
}

/** Adds `cost` to one phase; returns a new object. */
export function addPhaseCost(costs: PhaseCosts, phase: CostPhase, cost: Partial<GenerationCost>): PhaseCosts {
  if (!COST_PHASES.includes(phase)) throw new RangeError(`addPhaseCost: unknown phase ${String(phase)}`);
  return { ...costs, [phase]: addCost(costs[phase], cost) };
}

/** The sum over phases. */
export function totalCost(costs: PhaseCosts): GenerationCost {
  return sumCosts(COST_PHASES.map((p) => costs[p]));
}
