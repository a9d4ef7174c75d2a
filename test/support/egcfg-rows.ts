// Rows of a small finished EG-CFG campaign written straight into a database, shaped as the EG-CFG activities write
// them (one agent, γ = 0 and γ = 3; the guided generation has two lines: candidates, traces, a signal, tokens with
// both top-k lists and one token changed by guidance), for tests of the read side (API, dashboard) without a model.
import type { Database } from '../../db/client.ts';
import {
  campaigns, egcfgCandidates, egcfgGenerations, egcfgSteps, egcfgTraces, events, executions, problems, results, runs, samples,
} from '../../db/schema/index.ts';
import type { AgentConfigStored, StepTotals } from '../../core/stored/egcfg-generation.ts';
import type { StepToken } from '../../core/stored/egcfg-step.ts';
import { stubProblem } from './stub-problem.ts';

export interface SeededCampaign { campaignId: string; taskIds: string[]; generationId: number }

const cost = { modelCalls: 2, promptTokens: 100, completionTokens: 20, sandboxExecutions: 1, sandboxMs: 12, wallMs: 40 };
/** An agent's stored config (core/stored/egcfg-generation.ts), as egcfgBegin writes it. */
const agentConfig: AgentConfigStored = {
  t: 0.7, s: 3, d: 2, k: 1, promptType: 'deepseek_instruct', maxNewTokens: 512, topLogprobs: 5, reasoningMaxTokens: 2048, earlyStop: true,
  wallCapMs: 2_400_000, traceTimeoutMs: 5000, traceMaxChars: 100_000, candidateMaxTokens: 512,
  model: { kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'simulated-deepseek', simulated: true },
};
/** A generation's summed cost (core/stored/egcfg-generation.ts StepTotals), as finish-steps.ts writes it. */
function totals(modelCalls: number, promptTokens: number, completionTokens: number, sandboxRuns: number, sandboxMs: number): StepTotals {
  const zero = { modelCalls: 0, promptTokens: 0, completionTokens: 0, sandboxRuns: 0, sandboxMs: 0 };
  return {
    steps: 6, lines: 2, tokens: 4, guidedTokens: 4, changedTokens: 1, modelCalls, tokenizerCalls: 0, promptTokens, completionTokens,
    sandboxRuns, sandboxMs, modelMs: 0, phases: { reasoning: zero, guidance: { ...zero, modelCalls, promptTokens, completionTokens }, candidates: { ...zero, sandboxRuns, sandboxMs } },
  };
}

/** `problemsCount` MBPP-shaped problems (task ids p0, p1, …), every one solved but every third (failed), p0 guided. */
export async function seedEgcfgCampaign(db: Database, campaignId: string, problemsCount = 3, status = 'completed'): Promise<SeededCampaign> {
  await db.insert(campaigns).values({
    id: campaignId, method: 'eg-cfg', dataset: 'mbpp', model: 'simulated-deepseek', simulated: true, status,
    config: { method: 'eg-cfg', gammas: [0, 3], agents: ['t0.7-s3-d2'] }, workflowId: `campaign-${campaignId}`, problemsTotal: problemsCount,
    error: status === 'failed' ? 'the workflow failed: ActivityFailure: boom <script>' : null,
    ...(status === 'running' ? {} : { finishedAt: new Date() }),
  });
  const [run] = await db.insert(runs).values({ campaignId, name: 't0.7-s3-d2', config: { method: 'eg-cfg' } }).returning({ id: runs.id });
  const taskIds: string[] = [];
  let generationId = 0;
  for (let i = 0; i < problemsCount; i++) {
    const taskId = `${campaignId}-p${i}`;
    taskIds.push(taskId);
    const [p] = await db.insert(problems).values({
      contentHash: `test-${taskId}`, dataset: 'mbpp', taskId, split: 'test', entryPoint: 'add', statement: `Write add <b>${i}</b>.`, visibleTests: ['assert add(1, 2) == 3'],
      problem: stubProblem(taskId, { entryPoint: 'add', statement: `Write add <b>${i}</b>.`, visibleTests: ['assert add(1, 2) == 3'] }), raw: {},
    }).returning({ id: problems.id });
    const passed = i % 3 !== 2;
    const [s] = await db.insert(samples).values({
      campaignId, runId: run!.id, problemId: p!.id, attempt: 'gamma=3/try=0', code: 'def add(a, b):\n    return a + b\n', model: 'simulated-deepseek',
      params: {}, promptTokens: 100 + i, completionTokens: 10, modelCalls: 3,
    }).returning({ id: samples.id });
    await db.insert(executions).values({ sampleId: s!.id, suite: 'eval', status: passed ? 'passed' : 'failed', passed, testsPassed: passed ? 3 : 1, testsTotal: 3, perTest: [], durationMs: 5 });
    const gid = await seedGeneration(db, campaignId, p!.id, run!.id, s!.id, i);
    if (i === 0) generationId = gid;
    const winner = passed ? { agent: 't0.7-s3-d2', gamma: i % 2 ? 0 : 3, generationId: gid } : null;
    for (const protocol of ['paper', 'strict', 'default']) {
      await db.insert(results).values({
        campaignId, problemId: p!.id, protocol, passed, sampleId: s!.id, status: passed ? 'passed' : 'failed',
        detail: { winner, cost, selected: { agent: 't0.7-s3-d2', gamma: 3, generationId: gid, byWinner: passed } },
      });
      await db.insert(events).values({ campaignId, key: `result:${protocol}:${p!.id}`, kind: 'problem_finished', payload: { problemId: p!.id, taskId, protocol, passed, status: passed ? 'passed' : 'failed' } });
    }
  }
  return { campaignId, taskIds, generationId };
}

async function seedGeneration(db: Database, campaignId: string, problemId: number, runId: number, sampleId: number, i: number): Promise<number> {
  const base = { campaignId, problemId, runId, agent: 't0.7-s3-d2', attempt: 0, agentIndex: 0, config: agentConfig, seed: 40, model: 'simulated-deepseek', simulated: true, workflowId: 'w', basePrompt: 'prompt' };
  await db.insert(egcfgGenerations).values({ ...base, gamma: 0, gammaIndex: 0, status: 'failed', finalCode: 'def add(a, b):\n    return a - b\n', cost: totals(0, 0, 0, 0, 0) });
  const [g] = await db.insert(egcfgGenerations).values({
    ...base, gamma: 3, gammaIndex: 1, status: 'passed', prefix: 'Think <first>.', finalCode: 'def add(a, b):\n    return a + b\n', sampleId,
    stopReason: 'eos', passedVisible: true, visiblePassed: 1, visibleTotal: 1, cost: totals(cost.modelCalls, cost.promptTokens, cost.completionTokens, cost.sandboxExecutions, cost.sandboxMs), stats: { steps: 2 },
  }).returning({ id: egcfgGenerations.id });
  const id = g!.id;
  if (i !== 0) return id;
  const step = (seq: number, kind: string, lineIndex: number, extra: Omit<Partial<typeof egcfgSteps.$inferInsert>, 'summary'> & { summary?: Record<string, unknown> } = {}) => ({
    generationId: id, seq, kind, lineIndex, modelCalls: 1, promptTokens: 10, completionTokens: 2, ...extra,
    summary: { seq, next: 'decode' as const, ...extra.summary },
  });
  const tok = (tid: number, text: string, changed: boolean): StepToken => ({
    id: tid, text, guided: true, changed, uncond: [[changed ? 99 : tid, -0.1], [tid, -0.5]], cond: [[tid, -0.05], [99, -2]],
  });
  await db.insert(egcfgSteps).values([
    step(0, 'reasoning', 0),
    step(1, 'sample', 0, { summary: { side: 'uncond', request: 0, n: 3 } }),
    step(2, 'prepare', 0, { sandboxRuns: 1, sandboxMs: 7 }),
    step(3, 'signal', 0, { signal: '# Candidate <1>\nTrace: add(1, 2) -> 3', summary: { entries: 1, next: 'decode' } }),
    step(4, 'line', 0, { codeBefore: '', appended: 'def add(a, b):\n', tokens: [tok(1, 'def', false), tok(2, ' add', true)], tokenCount: 2, guidedTokens: 2, changedTokens: 1 }),
    step(5, 'line', 1, { codeBefore: 'def add(a, b):\n', appended: '    return a + b\n', tokens: [tok(3, '    return', false), tok(4, ' a + b\n', false)], tokenCount: 2, guidedTokens: 2, summary: { next: 'done' } }),
  ]);
  const program = 'def add(a, b):\n    return a + b\n';
  await db.insert(egcfgCandidates).values([
    { generationId: id, lineIndex: 0, side: 'uncond', requestIndex: 0, candidateIndex: 0, completion: '    return a + b', raw: program, executable: program, accepted: true },
    { generationId: id, lineIndex: 0, side: 'uncond', requestIndex: 0, candidateIndex: 1, completion: '<script>alert(1)</script>', raw: null, executable: null, accepted: false },
  ]);
  await db.insert(egcfgTraces).values({ generationId: id, programHash: 'h', invocation: 'add(1, 2)', lineIndex: 0, program, status: 'passed', trace: 'add(1, 2) -> 3 <trace>', durationMs: 7 });
  return id;
}
