// The result row of one baseline problem from its samples' verdicts: shared by the per-problem workflow
// (workflows/problem.ts) and the batched activity (activities/baseline-batch.ts), so both record the same row.
// With several samples per problem (pass@k), sample 0 is the problem's recorded program and the others only add to
// the count of correct samples kept in the detail.

import type { ResultDetail } from './stored/result-detail.ts';

/** Sample i's attempt name: 'baseline' for sample 0 (as with one sample), 'sample-<i>' for the others. */
export const sampleAttempt = (i: number): string => (i === 0 ? 'baseline' : `sample-${i}`);

/** Sample i's parameters: the campaign's, with seed + i for i > 0. */
export function sampleParams<P extends { seed: number }>(params: P, i: number): P {
  return i === 0 ? params : { ...params, seed: params.seed + i };
}

export interface SampleVerdictLike {
  passed: boolean;
  status: string;
  testsPassed: number;
  testsTotal: number;
}

export interface BaselineResultRow {
  campaignId: string;
  problemId: number;
  protocol: 'default';
  sampleId: number;
  passed: boolean;
  status: 'passed' | 'failed';
  detail: ResultDetail;
}

export function baselineResultRow(
  campaignId: string, problemId: number, samples: ReadonlyArray<{ sampleId: number; verdict: SampleVerdictLike }>,
): BaselineResultRow {
  const first = samples[0];
  if (!first) throw new Error(`problem ${problemId}: no samples`);
  const n = samples.length;
  const correct = samples.filter((s) => s.verdict.passed).length;
  const { verdict } = first;
  return {
    campaignId, problemId, protocol: 'default', sampleId: first.sampleId, passed: verdict.passed,
    // `error` is kept for problems whose workflow failed; the sandbox's own verdict goes into the detail.
    status: verdict.passed ? 'passed' : 'failed',
    detail: { verdict: verdict.status, testsPassed: verdict.testsPassed, testsTotal: verdict.testsTotal, ...(n > 1 ? { samples: n, correct } : {}) },
  };
}
