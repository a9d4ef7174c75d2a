// The BTP test stage's orchestration alone (workflows/btp-test-stage.ts, as workflows/btp.ts runs it: batches of
// problems in btpTestBeamsBatch activities on the sandbox queue, `concurrency` in flight), for
// bench/btp-test-stage.bench.ts: the beams are written by the bench, not sampled, so every problem is pending at once.
import { TestStage } from '../workflows/btp-test-stage.ts';

export async function btpTestStageBench(input: { campaignId: string; iteration: number; problemIds: number[]; numBeams: number; concurrency: number }): Promise<{ tested: number; passed: number }> {
  const tests = new TestStage({ campaignId: input.campaignId, iteration: input.iteration, numBeams: input.numBeams, testers: input.concurrency });
  for (const id of input.problemIds) tests.add(id);
  tests.close();
  return tests.done;
}
