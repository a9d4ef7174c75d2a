// One EG-CFG problem of a campaign as the problem viewer shows it, line by line (GET
// /campaigns/{id}/problems/{taskId}/steps and /ui/campaigns/{id}/problems/{taskId}): per generation (agent × γ ×
// try), each line with the code before it, the candidates sampled for it (raw and executable, with their traced runs
// per visible-test invocation), the dynamic signal in force, the tokens chosen with both top-k lists and whether
// guidance changed the argmax, and the line's cost (the steps that led to it). Built from the rows that `egcfg show`
// prints (campaigns/egcfg.ts egcfgProblemSteps); the jsonb columns are parsed with the schemas below.
import { lineCapRecordSchema, signalFitRecordSchema, stepTokensSchema } from '../core/stored/egcfg-step.ts';
import { parseStored } from '../core/stored/parse.ts';
import { z } from '@hono/zod-openapi';
import { egcfgProblemSteps } from '../campaigns/egcfg.ts';
import { OptionsError } from '../campaigns/options.ts';
import { UnknownProblemError } from '../campaigns/service.ts';
import type { Database } from '../db/client.ts';

const TopKSchema = z.array(z.object({ id: z.number(), logprob: z.number(), text: z.string().nullable() }));

export const ViewerTokenSchema = z.object({
  kind: z.enum(['token', 'line']),
  /** The chosen token's id (token steps) or null (γ = 1 line steps). */
  id: z.number().nullable(),
  text: z.string(),
  guided: z.boolean(),
  /** Guidance chose another token than the unconditional argmax. */
  changed: z.boolean(),
  uncondArgmax: z.number().nullable(),
  condArgmax: z.number().nullable(),
  uncond: TopKSchema,
  /** null: the conditional side was not asked (no signal, or the prompt overflowed). */
  cond: TopKSchema.nullable(),
}).openapi('ViewerToken');

export const ViewerTraceSchema = z.object({
  invocation: z.string(), status: z.string(), trace: z.string().nullable(), truncated: z.boolean(), durationMs: z.number(),
  /** The line at which this program was first traced (a trace is run once per generation). */
  firstLine: z.number().int(),
}).openapi('ViewerTrace');

export const ViewerCandidateSchema = z.object({
  side: z.string(), requestIndex: z.number().int(), candidateIndex: z.number().int(),
  completion: z.string(), raw: z.string().nullable(), executable: z.string().nullable(), prepareError: z.string().nullable(),
  accepted: z.boolean().nullable(),
  verdict: z.enum(['accepted', 'rejected', 'not executable', 'duplicate', 'pending']),
  traces: z.array(ViewerTraceSchema),
}).openapi('ViewerCandidate');

export const LineCostSchema = z.object({
  steps: z.number().int(), modelCalls: z.number().int(), tokenizerCalls: z.number().int(), promptTokens: z.number().int(),
  completionTokens: z.number().int(), sandboxRuns: z.number().int(), sandboxMs: z.number(), modelMs: z.number(), durationMs: z.number(),
}).openapi('LineCost');

export const ViewerLineSchema = z.object({
  index: z.number().int(),
  codeBefore: z.string(),
  /** What the line step appended; null: the generation ended before this line was decoded. */
  appended: z.string().nullable(),
  /** The signal in force for this line ('' = empty, guidance skipped; null = none built yet). */
  signal: z.string().nullable(),
  /** The line whose signal step built that signal (signals are refreshed every d lines). */
  signalFromLine: z.number().int().nullable(),
  candidates: z.array(ViewerCandidateSchema),
  tokens: z.array(ViewerTokenSchema),
  guidedTokens: z.number().int(), changedTokens: z.number().int(),
  next: z.string().nullable(),
  /** Guidance lost to the model's context on this line (activities/egcfg/signal-context.ts): the signal was fitted
   *  (entries dropped, a trace shortened, or fitted to nothing) or the server refused the conditional prompt. */
  contextLoss: z.object({
    fitted: z.object({ kept: z.number().int(), dropped: z.number().int(), linesOmitted: z.number().int(), contextTokens: z.number().int() }).nullable(),
    refused: z.boolean(),
  }).nullable(),
  /** --line-token-cap cut this line's guidance short: decoded unguided from token `unguidedFrom` (core/egcfg/cost-caps.ts). */
  lineCap: lineCapRecordSchema.nullable(),
  steps: z.array(z.object({ seq: z.number().int(), kind: z.string(), summary: z.record(z.string(), z.unknown()), activityAttempt: z.number().int() })),
  cost: LineCostSchema,
}).openapi('ViewerLine');

export const ViewerGenerationSchema = z.object({
  id: z.number().int(), agent: z.string(), gamma: z.number(), attempt: z.number().int(), status: z.string(),
  stopReason: z.string().nullable(), seed: z.number().int(), error: z.string().nullable(),
  prefix: z.string().nullable(), finalCode: z.string().nullable(),
  visiblePassed: z.number().int().nullable(), visibleTotal: z.number().int().nullable(),
  /** Whether this generation's program is the one the verdicts scored (strict protocol's selection). */
  selected: z.boolean(),
  executions: z.array(z.object({ suite: z.string(), status: z.string(), passed: z.boolean(), testsPassed: z.number().int(), testsTotal: z.number().int() })),
  cost: z.record(z.string(), z.unknown()).nullable(),
  stats: z.record(z.string(), z.unknown()).nullable(),
  lines: z.array(ViewerLineSchema),
}).openapi('ViewerGeneration');

export const ProblemStepsSchema = z.object({
  campaign: z.object({ id: z.string(), method: z.string(), dataset: z.string(), model: z.string(), simulated: z.boolean(), status: z.string() }),
  problem: z.object({ taskId: z.string(), entryPoint: z.string().nullable(), statement: z.string(), visibleTests: z.array(z.string()) }),
  verdicts: z.array(z.object({ protocol: z.string(), passed: z.boolean(), status: z.string(), detail: z.record(z.string(), z.unknown()) })),
  generations: z.array(ViewerGenerationSchema),
}).openapi('ProblemSteps');

export type ProblemSteps = z.infer<typeof ProblemStepsSchema>;
export type ViewerLine = z.infer<typeof ViewerLineSchema>;
export type ViewerGeneration = z.infer<typeof ViewerGenerationSchema>;
type Rows = Awaited<ReturnType<typeof egcfgProblemSteps>>;
type GenRows = Rows['generations'][number];
type Step = GenRows['steps'][number];

/** The problem's steps, line by line. Unknown campaign: UnknownCampaignError; unknown task: UnknownProblemError. */
export async function problemSteps(db: Database, campaignId: string, taskId: string): Promise<ProblemSteps> {
  let rows: Rows;
  try {
    rows = await egcfgProblemSteps(db, campaignId, taskId);
  } catch (err) {
    if (err instanceof OptionsError) throw new UnknownProblemError(campaignId, taskId);
    throw err;
  }
  const strict = rows.verdicts.find((v) => v.protocol === 'strict') ?? rows.verdicts.find((v) => v.protocol === 'default');
  const selectedId = strict?.detail.selected?.generationId ?? null;
  const c = rows.campaign;
  return {
    campaign: { id: c.id, method: c.method, dataset: c.dataset, model: c.model, simulated: c.simulated, status: c.status },
    problem: { taskId: rows.problem.taskId, entryPoint: rows.problem.entryPoint, statement: rows.problem.statement, visibleTests: rows.problem.visibleTests },
    verdicts: rows.verdicts.map((v) => ({ protocol: v.protocol, passed: v.passed, status: v.status, detail: v.detail })),
    generations: rows.generations.map((g) => generationView(g, selectedId)),
  };
}

function generationView(rows: GenRows, selectedId: number | null): ViewerGeneration {
  const g = rows.generation;
  return {
    id: g.id, agent: g.agent, gamma: g.gamma, attempt: g.attempt, status: g.status, stopReason: g.stopReason, seed: g.seed,
    error: g.error, prefix: g.prefix, finalCode: g.finalCode, visiblePassed: g.visiblePassed, visibleTotal: g.visibleTotal,
    selected: selectedId === g.id,
    executions: rows.executions.map((e) => ({ suite: e.suite, status: e.status, passed: e.passed, testsPassed: e.testsPassed, testsTotal: e.testsTotal })),
    cost: g.cost, stats: g.stats,
    lines: linesOf(rows),
  };
}

const zeroCost = (): ViewerLine['cost'] => ({
  steps: 0, modelCalls: 0, tokenizerCalls: 0, promptTokens: 0, completionTokens: 0, sandboxRuns: 0, sandboxMs: 0, modelMs: 0, durationMs: 0,
});

function addStepCost(cost: ViewerLine['cost'], s: Step): void {
  cost.steps++;
  cost.modelCalls += s.modelCalls; cost.tokenizerCalls += s.tokenizerCalls; cost.promptTokens += s.promptTokens;
  cost.completionTokens += s.completionTokens; cost.sandboxRuns += s.sandboxRuns; cost.sandboxMs += s.sandboxMs;
  cost.modelMs += s.modelMs; cost.durationMs += s.durationMs;
}

/** The steps grouped by line: every step with lineIndex i (sampling, prepare, signal, the line itself) is line i's. */
function linesOf(rows: GenRows): ViewerLine[] {
  const byLine = new Map<number, Step[]>();
  for (const s of rows.steps) {
    if (s.kind === 'reasoning' || s.kind === 'gamma0') continue;
    const list = byLine.get(s.lineIndex) ?? [];
    list.push(s);
    byLine.set(s.lineIndex, list);
  }
  const textOf = tokenTexts(rows.steps);
  const lines: ViewerLine[] = [];
  let signal: string | null = null;
  let signalFromLine: number | null = null;
  for (const index of [...byLine.keys()].sort((a, b) => a - b)) {
    const steps = byLine.get(index)!;
    const cost = zeroCost();
    for (const s of steps) addStepCost(cost, s);
    for (const s of steps) if (s.kind === 'signal' && s.signal !== null) { signal = s.signal; signalFromLine = index; }
    const line = steps.find((s) => s.kind === 'line');
    const tokens = line ? tokensOf(line, textOf) : [];
    lines.push({
      index, codeBefore: (line ?? steps[0]!).codeBefore, appended: line ? line.appended ?? '' : null, signal, signalFromLine,
      candidates: candidatesOf(rows, index),
      tokens, guidedTokens: line?.guidedTokens ?? 0, changedTokens: line?.changedTokens ?? 0,
      next: typeof (line ?? steps[steps.length - 1]!).summary.next === 'string' ? String((line ?? steps[steps.length - 1]!).summary.next) : null,
      contextLoss: contextLossOf(steps),
      lineCap: line ? LineCapSummary.safeParse(line.summary).data?.lineCap ?? null : null,
      steps: steps.map((s) => ({ seq: s.seq, kind: s.kind, summary: s.summary, activityAttempt: s.activityAttempt })),
      cost,
    });
  }
  return lines;
}

const SignalFitSummary = z.object({ signalFit: signalFitRecordSchema });
const LineCapSummary = z.object({ lineCap: lineCapRecordSchema });

/** What the line's steps say of guidance lost to the context: a fitted signal, a refused conditional prompt. */
function contextLossOf(steps: Step[]): ViewerLine['contextLoss'] {
  const fit = steps.map((s) => SignalFitSummary.safeParse(s.summary)).find((r) => r.success);
  const refused = steps.some((s) => typeof s.summary.contextOverflow === 'string');
  if (!fit && !refused) return null;
  const f = fit?.data?.signalFit;
  return { fitted: f ? { kept: f.kept, dropped: f.dropped, linesOmitted: f.linesOmitted, contextTokens: f.contextTokens } : null, refused };
}

/** Token id → text, from every token the generation chose (top-k alternatives are stored as ids only). */
function tokenTexts(steps: Step[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const s of steps) {
    for (const t of stepTokensOf(s) ?? []) if ('id' in t) out.set(t.id, t.text);
  }
  return out;
}

const stepTokensOf = (s: Step) => parseStored(stepTokensSchema, s.tokens, { table: 'egcfg_steps', column: 'tokens', id: s.id });

function tokensOf(step: Step, textOf: Map<number, string>): ViewerLine['tokens'] {
  const top = (list: Array<[number, number]>) => list.map(([id, logprob]) => ({ id, logprob, text: textOf.get(id) ?? null }));
  const argmax = (list: Array<[number, number]> | null) => (list && list.length
    ? list.reduce((best, t) => (t[1] > best[1] ? t : best))[0] : null);
  return (stepTokensOf(step) ?? []).map((t) => ('id' in t
    ? {
      kind: 'token' as const, id: t.id, text: t.text, guided: t.guided, changed: t.changed,
      uncondArgmax: argmax(t.uncond), condArgmax: argmax(t.cond), uncond: top(t.uncond), cond: t.cond === null ? null : top(t.cond),
    }
    : { kind: 'line' as const, id: null, text: t.line, guided: t.guided, changed: false, uncondArgmax: null, condArgmax: null, uncond: [], cond: null }));
}

function candidatesOf(rows: GenRows, lineIndex: number): ViewerLine['candidates'] {
  return rows.candidates.filter((k) => k.lineIndex === lineIndex).map((k) => {
    const verdict = k.raw === null ? 'rejected' : k.accepted === true ? 'accepted' : k.accepted === null ? 'pending'
      : k.executable === null && k.prepareError ? 'not executable' : 'duplicate';
    const traces = k.executable === null ? [] : rows.traces.filter((t) => t.program === k.executable).map((t) => ({
      invocation: t.invocation, status: t.status, trace: t.trace, truncated: t.traceTruncated, durationMs: t.durationMs, firstLine: t.lineIndex,
    }));
    return {
      side: k.side, requestIndex: k.requestIndex, candidateIndex: k.candidateIndex, completion: k.completion, raw: k.raw,
      executable: k.executable, prepareError: k.prepareError, accepted: k.accepted, verdict, traces,
    };
  });
}
