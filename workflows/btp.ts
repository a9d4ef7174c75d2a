// The BTP fine-tuning cycle as one durable workflow per campaign. Iteration 0 evaluates the base target model; each
// iteration i ≥ 1 then runs
//   (1) beam sampling per training problem (n samples with logprobs, 'inference')  → beams rows
//   (2) testing each candidate against all of the problem's tests ('sandbox'; several problems per activity as
//       they are sampled: btp-test-stage.ts)                                       → pass_rate
//   (3) P2Value and (4) the experience buffer (dedupe, capacity, eviction; state in Postgres, 'default')
//   (5) prioritized sampling of the training set (power|rank, seeded; split guard)  → train.jsonl + training_runs
//   (6) LoRA training ('training': resumable Python trainer, heartbeats step+loss)   → adapter
//   (7) registering the adapter with the target model's server ('inference')
//   (8) evaluation: a baseline campaign (child workflow) on the evaluation problems under the adapter's name
// and records pass@1 in btp_iterations. It stops after `iterations` or once pass@1 has not improved for `patience`
// iterations in a row; continues-as-new after every iteration (bounded history). Pause/resume/cancel like the
// baseline campaign (a pause is forwarded to the running evaluation campaign). The pieces: btp-state.ts (signals,
// queries, the pause gate), btp-iteration.ts (stages 1-7), btp-evaluate.ts (stage 8).
import { CancellationScope, ContinueAsNew, continueAsNew, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { BtpCycleInput, BtpCycleSummary, BtpIterationRecord } from '../core/contracts.ts';
import { activityOptions } from './activity-options.ts';
import { evaluate } from './btp-evaluate.ts';
import { runIteration } from './btp-iteration.ts';
import { initialState, installHandlers, type BtpCycleState } from './btp-state.ts';
import { failureMessage } from './campaign.ts';
import { cancelRequestedBeforeContinue } from './campaign-loop.ts';
export { btpProgressQuery } from './btp-names.ts';

const store = proxyActivities<Activities>(activityOptions.default);

/** Whether pass@1 should stop the cycle: `patience` iterations in a row without beating the best before them. */
export function shouldStop(history: readonly BtpIterationRecord[], patience: number): boolean {
  let best = -1;
  let since = 0;
  for (const h of history) {
    if (h.passAt1 > best) { best = h.passAt1; since = 0; } else since++;
  }
  return history.length > 1 && since >= patience;
}

/** The cycle's summary once it stopped (after `iterations`, or for want of improvement). */
async function finish(s: BtpCycleState, stoppedBecause: BtpCycleSummary['stoppedBecause']): Promise<BtpCycleSummary> {
  const { input, history } = s;
  s.stage = 'done';
  const best = history.reduce((a, b) => (b.passAt1 > a.passAt1 ? b : a), history[0]!);
  const lastRec = history.at(-1)!;
  const info = await store.btpFinish({ campaignId: input.campaignId, status: 'completed', passAt1: lastRec.passAt1 });
  return {
    campaignId: input.campaignId, dataset: info.dataset, model: info.model, simulated: info.simulated, method: 'btp',
    problems: lastRec.problems, passed: lastRec.passed, passAt1: lastRec.passAt1,
    iterations: history, bestIteration: best.iteration, bestPassAt1: best.passAt1, stoppedBecause,
  };
}

/** The campaign marked cancelled or failed (whatever the failure, it is rethrown). */
async function recordFailure(s: BtpCycleState, err: unknown): Promise<void> {
  const { input, history } = s;
  if (isCancellation(err)) {
    s.stage = 'cancelled';
    await CancellationScope.nonCancellable(() => store.btpFinish({ campaignId: input.campaignId, status: 'cancelled', passAt1: history.at(-1)?.passAt1 ?? null }));
    return;
  }
  if (err instanceof Error) {
    await store.btpFinish({ campaignId: input.campaignId, status: 'failed', passAt1: history.at(-1)?.passAt1 ?? null, error: failureMessage(err) });
  }
}

export async function btpCycle(input: BtpCycleInput): Promise<BtpCycleSummary> {
  const p = input.params;
  const s = initialState(input);
  const { history } = s;
  installHandlers(s);
  try {
    if (s.iteration === 0) {
      await store.markCampaign({ campaignId: input.campaignId, status: 'running' });
      await evaluate(s, 0, input.targetModel.model, null, { role: 'base target model' });
      s.iteration = 1;
    }
    let stoppedBecause: BtpCycleSummary['stoppedBecause'] = 'iterations';
    if (shouldStop(history, p.patience)) stoppedBecause = 'no-improvement';
    else if (s.iteration <= p.iterations) {
      const it = s.iteration;
      await runIteration(s, it);
      if (it < p.iterations && !shouldStop(history, p.patience)) {
        const cancelled = cancelRequestedBeforeContinue(input.campaignId); // a cancel that came with the last result
        if (cancelled) throw cancelled;
        await continueAsNew<typeof btpCycle>({ ...input, nextIteration: it + 1, history, paused: s.paused });
      }
      if (it < p.iterations && shouldStop(history, p.patience)) stoppedBecause = 'no-improvement';
    }
    return await finish(s, stoppedBecause);
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    await recordFailure(s, err);
    throw err;
  }
}
