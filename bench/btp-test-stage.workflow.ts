// The BTP test stage's orchestration (workflows/btp.ts: problems in lanes, one btpTestBeams activity per problem on
// the sandbox queue), alone, for bench/btp-test-stage.bench.ts: the beams are written by the bench, not sampled.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { activityOptions } from '../workflows/activity-options.ts';

const sandbox = proxyActivities<Activities>(activityOptions.sandbox);

export async function btpTestStageBench(input: { campaignId: string; iteration: number; problemIds: number[]; concurrency: number }): Promise<{ tested: number; passed: number }> {
  let next = 0;
  let tested = 0;
  let passed = 0;
  const lane = async () => {
    while (next < input.problemIds.length) {
      const problemId = input.problemIds[next++]!;
      const t = await sandbox.btpTestBeams({ campaignId: input.campaignId, iteration: input.iteration, problemId });
      tested += t.tested;
      passed += t.passed;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency, input.problemIds.length)) }, lane));
  return { tested, passed };
}
