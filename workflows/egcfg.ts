// EG-CFG as durable workflows (spec eg-cfg-method.md §1.2–1.5):
//
//   egcfgCampaign ──▶ egcfgProblem (one child per problem, bounded concurrency, pause/resume, continue-as-new)
//                        └─▶ egcfgAgent (one child per grid configuration, at most maxAgents at once)
//                               └─▶ egcfgGeneration (one child per γ in order [0, 0.5, 1, 3], × retries)
//
// The first agent whose generation passes the visible tests wins; the problem workflow then cancels the other agents
// through Temporal cancellation (their generations mark their rows 'cancelled' and keep every step they wrote).
// A generation is a loop over small activities; the step machine's state lives in Postgres, the workflow carries only
// the generation id, the step number `seq` and the line index.
import {
  ApplicationFailure, CancellationScope, condition, continueAsNew, executeChild, isCancellation, patched, proxyActivities,
  startChild, workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { attemptsFor } from '../core/egcfg/gamma1.ts';
import { activityOptions, taskQueues } from './activity-options.ts';
import { PROBLEM_PAGES_PATCH, problemCount } from './campaign.ts';
import { CampaignLoop, failureMessage } from './campaign-loop.ts';
import type {
  EgcfgAgentInput, EgcfgAgentOutcome, EgcfgCampaignInput, EgcfgCampaignSummary, EgcfgGenerationInput,
  EgcfgGenerationOutcome, EgcfgParams, EgcfgProblemInput, EgcfgProblemOutcome,
} from '../core/contracts.ts';

const store = proxyActivities<Activities>(activityOptions.default);

/** Heartbeat timeout of the EG-CFG model and sandbox activities: how soon a killed worker's step is retried elsewhere. */
const DEFAULT_HEARTBEAT_MS = 10_000;

function generationActivities(params: EgcfgParams) {
  const hb = params.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_MS;
  const inference: ActivityOptions = {
    ...activityOptions.inference, heartbeatTimeout: hb, ...(params.stepTimeoutMs !== undefined ? { startToCloseTimeout: params.stepTimeoutMs } : {}),
  };
  const sandbox: ActivityOptions = { ...activityOptions.sandbox, heartbeatTimeout: hb };
  return {
    inference: proxyActivities<Activities>(inference),
    sandbox: proxyActivities<Activities>(sandbox),
  };
}

export const egcfgProblemWorkflowId = (campaignId: string, problemId: number): string => `campaign-${campaignId}-problem-${problemId}`;
export const egcfgAgentWorkflowId = (campaignId: string, problemId: number, agent: string): string =>
  `campaign-${campaignId}-problem-${problemId}-agent-${agent}`;
export const egcfgGenerationWorkflowId = (campaignId: string, problemId: number, agent: string, gamma: number, attempt: number): string =>
  `campaign-${campaignId}-problem-${problemId}-agent-${agent}-gamma-${gamma}-try-${attempt}`;

/** One generation for (problem, agent, γ, attempt). */
export async function egcfgGeneration(input: EgcfgGenerationInput): Promise<EgcfgGenerationOutcome> {
  const { inference, sandbox } = generationActivities(input.params);
  const { generationId } = await store.egcfgBegin(input);
  let seq = 0;
  try {
    if (input.gamma === 0) {
      await inference.egcfgGamma0({ generationId, seq: seq++ });
    } else {
      let r = await inference.egcfgReasoning({ generationId, seq: seq++ });
      let line = 0;
      while (r.next !== 'done') {
        if (r.next === 'build_signal' || r.next === 'sample_cond_candidates') {
          const side = r.next === 'build_signal' ? 'uncond' as const : 'cond' as const;
          for (let request = 0; ; request++) {
            await inference.egcfgSampleCandidates({ generationId, seq: seq++, lineIndex: line, side, request });
            const p = await sandbox.egcfgPrepareCandidates({ generationId, seq: seq++, lineIndex: line, side, request });
            if (!p.needAnother) break;
          }
          r = side === 'uncond'
            ? await sandbox.egcfgBuildSignal({ generationId, seq: seq++, lineIndex: line })
            : await store.egcfgApplyCond({ generationId, seq: seq++, lineIndex: line });
        } else {
          r = await inference.egcfgDecodeLine({ generationId, seq: seq++, lineIndex: line });
          line++;
        }
      }
    }
    const { sampleId } = await store.egcfgSaveSample({ generationId, seq });
    const v = await sandbox.egcfgExecute({ sampleId, suite: 'visible' });
    // Under --protocol paper the winner is the first program that passes the authors' evaluation tests of the dataset
    // (HumanEval: check()); the visible verdict is still recorded (strict selection reads it).
    const suite = input.params.selectionSuite ?? 'visible';
    const selected = suite === 'visible' ? v.passed : (await sandbox.egcfgExecute({ sampleId, suite })).passed;
    await store.egcfgClose({
      generationId, passedVisible: v.passed, testsPassed: v.testsPassed, testsTotal: v.testsTotal,
      ...(suite === 'visible' ? {} : { passedSelection: selected, selectionSuite: suite }),
    });
    return { generationId, gamma: input.gamma, attempt: input.attempt, status: selected ? 'passed' : 'failed', passedVisible: v.passed, passedSelection: selected };
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => store.egcfgMarkCancelled({
        generationId, reason: 'cancelled: another agent solved the problem first, or the campaign was cancelled',
      }));
    } else {
      await store.egcfgMarkError({ generationId, error: failureMessage(err) });
    }
    throw err;
  }
}

/** One agent (grid configuration): γ in order, stopping at the first generation that passes the selection suite (the visible tests under strict). */
export async function egcfgAgent(input: EgcfgAgentInput): Promise<EgcfgAgentOutcome> {
  let generations = 0;
  for (const [gammaIndex, gamma] of input.params.gammas.entries()) {
    const attempts = attemptsFor(gamma, input.params.retries);
    for (let attempt = 0; attempt < attempts; attempt++) {
      generations++;
      try {
        const out = await executeChild(egcfgGeneration, {
          workflowId: egcfgGenerationWorkflowId(input.campaignId, input.problemId, input.agent.name, gamma, attempt),
          taskQueue: taskQueues.default,
          args: [{ campaignId: input.campaignId, problemId: input.problemId, model: input.model, agent: input.agent, gamma, gammaIndex, attempt, params: input.params }],
        });
        if (out.passedSelection ?? out.passedVisible) return { agent: input.agent.name, passed: true, generationId: out.generationId, gamma, generations };
      } catch (err) {
        if (isCancellation(err)) throw err;
        // A failed generation (recorded as 'error' with its message) does not stop the agent: the next γ is tried.
      }
    }
  }
  return { agent: input.agent.name, passed: false, generationId: null, gamma: null, generations };
}

/** One problem: agents in parallel (at most maxAgents), the first to pass the visible tests wins, the rest are cancelled. */
export async function egcfgProblem(input: EgcfgProblemInput): Promise<EgcfgProblemOutcome> {
  let winner: EgcfgAgentOutcome | null = null;
  const agentsScope = new CancellationScope();
  const runAgent = async (agent: EgcfgProblemInput['agents'][number]): Promise<void> => {
    try {
      const child = await startChild(egcfgAgent, {
        workflowId: egcfgAgentWorkflowId(input.campaignId, input.problemId, agent.name),
        taskQueue: taskQueues.default,
        args: [{ campaignId: input.campaignId, problemId: input.problemId, model: input.model, agent, params: input.params }],
      });
      const out = await child.result();
      if (out.passed && winner === null) {
        winner = out;
        agentsScope.cancel();
      }
    } catch (err) {
      if (isCancellation(err)) return;
      throw err;
    }
  };
  try {
    await agentsScope.run(async () => {
      const inFlight = new Set<Promise<void>>();
      for (const agent of input.agents) {
        await condition(() => inFlight.size < input.params.maxAgents || winner !== null);
        if (winner !== null) break;
        const p: Promise<void> = runAgent(agent).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    });
  } catch (err) {
    // Our own cancellation of the losing agents is expected; anything else (the campaign was cancelled) propagates.
    if (!(isCancellation(err) && winner !== null && !CancellationScope.current().consideredCancelled)) throw err;
  }
  const { sandbox } = generationActivities(input.params);
  const w = winner as EgcfgAgentOutcome | null;
  return sandbox.egcfgEvaluateProblem({
    campaignId: input.campaignId, problemId: input.problemId, winnerGenerationId: w?.generationId ?? null,
    ...(input.params.selectionSuite !== undefined ? { selectionSuite: input.params.selectionSuite } : {}),
  });
}

const DEFAULT_CONTINUE_AS_NEW_AFTER = 100;

/** An EG-CFG campaign: one problem workflow per problem, bounded concurrency, pause/resume, progress, continue-as-new. */
export async function egcfgCampaign(input: EgcfgCampaignInput): Promise<EgcfgCampaignSummary> {
  const { campaignId } = input;
  // An input without its ids reads the campaign's pins a page at a time (as the baseline campaign does): neither it
  // nor any continue-as-new input grows with the campaign.
  const paged = input.problemIds === undefined && patched(PROBLEM_PAGES_PATCH);
  const total = problemCount(input);
  const summarize = () => store.egcfgSummarizeCampaign({ campaignId, ...(input.baselineCampaignId ? { baselineCampaignId: input.baselineCampaignId } : {}) });
  const loop = new CampaignLoop({
    campaignId,
    problemIds: input.problemIds ?? [],
    ...(paged ? { pages: { total, fetch: (offset: number, limit: number) => store.campaignProblemPage({ campaignId, offset, limit }) } } : {}),
    concurrency: input.concurrency,
    budget: input.continueAsNewAfter ?? DEFAULT_CONTINUE_AS_NEW_AFTER,
    carried: input,
    runProblem: async (problemId) => {
      const outcome = await executeChild(egcfgProblem, {
        workflowId: egcfgProblemWorkflowId(campaignId, problemId),
        taskQueue: taskQueues.default,
        args: [{ campaignId, problemId, model: input.model, agents: input.agents, params: input.params }],
      });
      return outcome.paper;
    },
    recordError: (problemId, message) => store.egcfgRecordProblemError({ campaignId, problemId, message }),
    onCancelled: async () => {
      await store.markCampaign({ campaignId, status: 'cancelled' });
      await summarize();
    },
  });

  if (loop.isFirstRun) await store.markCampaign({ campaignId, status: 'running' });
  const { finished } = await loop.run();
  if (!finished) {
    await loop.cancelIfRequested();
    await continueAsNew<typeof egcfgCampaign>({ ...input, ...loop.carry() });
  }
  loop.state = 'finishing';
  const summary = await summarize();
  await store.markCampaign({ campaignId, status: 'completed' });
  loop.state = 'completed';
  if (summary.problems !== total) {
    throw ApplicationFailure.nonRetryable(
      `campaign ${campaignId} (${workflowInfo().workflowId}) recorded ${summary.problems} results for ${total} problems`,
    );
  }
  return summary;
}
