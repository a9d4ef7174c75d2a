// Guidance lost to the model's context (issue 11 item 10), counted per campaign for its summary: signal steps whose
// signal was fitted (entries dropped or a trace shortened), those fitted down to nothing (guidance skipped for the
// line), and steps whose conditional prompt the server still refused (`contextOverflow`, guidance off for the step).
// A drizzle selection over egcfg_steps, selected beside the cost sums (evaluate.ts campaignCost) in the same scan.
import { sql } from 'drizzle-orm';
import { egcfgSteps } from '../../db/schema/index.ts';

export const guidanceLossCounts = {
  signalsFitted: sql<number>`count(*) filter (where ${egcfgSteps.summary} ? 'signalFit')`.mapWith(Number),
  signalsEmptied: sql<number>`count(*) filter (where (${egcfgSteps.summary} -> 'signalFit' ->> 'kept')::int = 0)`.mapWith(Number),
  overflowSteps: sql<number>`count(*) filter (where ${egcfgSteps.summary} ? 'contextOverflow')`.mapWith(Number),
};

/** Lines whose guidance --line-token-cap cut short (their step's `lineCap`), selected in the same scan. */
export const linesCappedCount = {
  linesCapped: sql<number>`count(*) filter (where ${egcfgSteps.summary} ? 'lineCap')`.mapWith(Number),
};
