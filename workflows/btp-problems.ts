// The BTP cycle's training and evaluation problems (workflows/btp.ts). An input written before issue 16 names both
// lists (and every continue-as-new carried them); an input without them names only their counts: the training
// problems are read a page at a time from the campaign's pins (role 'train', activities/problem-pages.ts) as the
// sampling lanes take them, the evaluation campaign (a baseline child) reads its own copy of the 'eval' pins in pages,
// and the training-set activity reads the evaluation pins it guards against itself. So no workflow input, activity
// input or result, or continue-as-new carries either whole list, whatever the campaign's size.
import { ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { BtpCycleInput } from '../core/contracts.ts';
import { activityOptions } from './activity-options.ts';
import { PROBLEM_PAGE } from './campaign-loop.ts';
import { ProblemPager } from './problem-pager.ts';

const store = proxyActivities<Activities>(activityOptions.default);

/** Patch marker of a BTP input without problem id lists (histories recorded before it carry the lists). */
export const BTP_PROBLEM_PAGES_PATCH = 'btp-problem-pages';

export type BtpProblems =
  | { paged: false; train: number[]; eval: number[] }
  | { paged: true; train: ProblemPager; evalTotal: number; pageSize: number };

/** Where this run's problems come from. Call once, at the start of each run (it may mark the history). */
export function btpProblems(input: BtpCycleInput): BtpProblems {
  if (input.trainProblemIds && input.evalProblemIds) return { paged: false, train: input.trainProblemIds, eval: input.evalProblemIds };
  const { campaignId, trainProblemsTotal, evalProblemsTotal } = input;
  if (trainProblemsTotal === undefined || evalProblemsTotal === undefined || !patched(BTP_PROBLEM_PAGES_PATCH)) {
    throw ApplicationFailure.nonRetryable(`BTP campaign ${campaignId}: the input needs trainProblemIds and evalProblemIds, or trainProblemsTotal and evalProblemsTotal`);
  }
  const pageSize = input.pageSize ?? PROBLEM_PAGE;
  const train = new ProblemPager({
    campaignId, role: 'train', total: trainProblemsTotal, pageSize,
    fetch: (offset, limit) => store.campaignProblemPage({ campaignId, role: 'train', offset, limit }),
  });
  return { paged: true, train, evalTotal: evalProblemsTotal, pageSize };
}

/** How many evaluation problems. */
export const evalCount = (p: BtpProblems): number => (p.paged ? p.evalTotal : p.eval.length);
