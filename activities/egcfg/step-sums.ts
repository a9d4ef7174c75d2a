// The summed cost columns of egcfg_steps, as one drizzle selection: a generation's totals (finish-steps.ts stepTotals,
// stored in egcfg_generations.cost) and a problem's or a campaign's cost (evaluate.ts) sum the same columns this way.
import { sql, type AnyColumn } from 'drizzle-orm';
import { egcfgSteps } from '../../db/schema/index.ts';

const sum = (column: AnyColumn) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

/** coalesce(sum(...), 0) of each metered column (0 over no steps). */
export const stepSums = {
  modelCalls: sum(egcfgSteps.modelCalls),
  tokenizerCalls: sum(egcfgSteps.tokenizerCalls),
  promptTokens: sum(egcfgSteps.promptTokens),
  completionTokens: sum(egcfgSteps.completionTokens),
  guidedTokens: sum(egcfgSteps.guidedTokens),
  changedTokens: sum(egcfgSteps.changedTokens),
  sandboxRuns: sum(egcfgSteps.sandboxRuns),
  sandboxMs: sum(egcfgSteps.sandboxMs),
};

/** The sums a generation's totals add: its tokens and its model wait time. */
export const stepTimeSums = { tokens: sum(egcfgSteps.tokenCount), modelMs: sum(egcfgSteps.modelMs) };
