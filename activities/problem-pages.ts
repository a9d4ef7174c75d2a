// A campaign's problems a page at a time, for workflows that carry only the campaign id and a cursor (issue 16: a
// 250,000-problem id list in the workflow input and in every continue-as-new would exceed Temporal's 2 MB payload
// limit). The ordered ids are the campaign's pins (campaign_problems, by role and position: 'eval' by default, 'train'
// for a BTP campaign's training problems), written before the workflow starts (campaigns/pins.ts); a page is the ids
// at positions [offset, offset + limit).
import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { campaignProblems } from '../db/schema/index.ts';

export const ProblemPageInput = z.object({
  campaignId: z.string().min(1),
  offset: z.number().int().min(0),
  limit: z.number().int().min(1).max(10_000),
  /** Which of the campaign's pinned lists (absent: 'eval', as the baseline and EG-CFG campaigns read). */
  role: z.enum(['eval', 'train']).optional(),
});
export type ProblemPageInput = z.infer<typeof ProblemPageInput>;

const PinRows = z.array(z.object({ problemId: z.number().int().positive() }));

/** The page's query: a range scan of the `campaign_problems_position` index (campaign, role, position), in order. */
export function problemPageQuery(db: Database, input: ProblemPageInput) {
  return db.select({ problemId: campaignProblems.problemId }).from(campaignProblems)
    .where(and(eq(campaignProblems.campaignId, input.campaignId), eq(campaignProblems.role, input.role ?? 'eval'),
      gte(campaignProblems.position, input.offset), lt(campaignProblems.position, input.offset + input.limit)))
    .orderBy(asc(campaignProblems.position));
}

export function problemPageActivities(db: Database) {
  return {
    /** The problem ids at positions [offset, offset + limit) of the campaign's pinned problems, in order. */
    async campaignProblemPage(raw: ProblemPageInput): Promise<number[]> {
      return PinRows.parse(await problemPageQuery(db, ProblemPageInput.parse(raw))).map((r) => r.problemId);
    },
  };
}
