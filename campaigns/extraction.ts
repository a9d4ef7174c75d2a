// How a campaign's programs were found in the model's replies (core/datasets/extract.ts records the rule in each
// sample's params), and how many of them do not even compile: the extraction failures of a run on a real model.
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { executions, samples } from '../db/schema/index.ts';

export const ExtractionReportSchema = z.object({
  /** Samples per extraction rule: fenced-entry (a code block defining the entry point), fenced-last, raw, prompt+completion, program. */
  by_source: z.record(z.string(), z.number().int()),
  /** Programs whose evaluation ended in syntax_error (the extracted text is not Python that compiles). */
  syntax_errors: z.number().int(),
  samples: z.number().int(),
});
export type ExtractionReport = z.infer<typeof ExtractionReportSchema>;

export async function campaignExtraction(db: Database, campaignId: string): Promise<ExtractionReport> {
  const source = sql<string | null>`${samples.params}->>'extraction'`;
  const rows = await db.select({ source, n: sql<number>`count(*)::int` }).from(samples)
    .where(eq(samples.campaignId, campaignId)).groupBy(source);
  const [syntax] = await db.select({ n: sql<number>`count(distinct ${executions.sampleId})::int` }).from(executions)
    .innerJoin(samples, eq(samples.id, executions.sampleId))
    .where(and(eq(samples.campaignId, campaignId), eq(executions.suite, 'eval'), eq(executions.status, 'syntax_error')));
  const bySource: Record<string, number> = {};
  for (const r of rows) bySource[r.source ?? 'unrecorded'] = Number(r.n);
  return ExtractionReportSchema.parse({ by_source: bySource, syntax_errors: Number(syntax?.n ?? 0), samples: rows.reduce((a, r) => a + Number(r.n), 0) });
}

/** One line for the terminal and summary.md. */
export const extractionLine = (e: ExtractionReport): string =>
  `Extraction: ${Object.entries(e.by_source).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ')} of ${e.samples} samples; ${e.syntax_errors} programs do not compile (syntax_error)`;
