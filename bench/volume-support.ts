// Shared by the volume and orchestration benches: synthetic problems made from the shipped benchmarks by renaming
// (task id and entry-point function, in the reference solution and in every test), a replay samples file of their
// reference solutions, starting a baseline campaign over given problems, and peak RSS of a process.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { campaignWorkflowId, newCampaignId, upsertProblems } from '../campaigns/service.ts';
import { loadDataset, type Problem } from '../core/datasets/index.ts';
import type { Database } from '../db/client.ts';
import { campaigns, runs } from '../db/schema/index.ts';
import { taskQueues } from '../workflows/activity-options.ts';
import { baselineCampaign } from '../workflows/campaign.ts';
import type { CampaignInput, ModelSpec } from '../core/contracts.ts';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Problem `base` renamed to a new, distinct problem number `i`: `f` becomes `f_s<i>` everywhere it is a word. */
export function renameProblem(base: Problem, i: number): Problem {
  const name = `${base.entryPoint}_s${i}`;
  const re = new RegExp(`\\b${escape(base.entryPoint)}\\b`, 'g');
  const r = (s: string) => s.replace(re, name);
  return {
    ...base,
    taskId: `syn/${i}/${base.taskId}`,
    entryPoint: name,
    statement: r(base.statement),
    ...(base.promptCode !== undefined ? { promptCode: r(base.promptCode) } : {}),
    visibleTests: base.visibleTests.map(r),
    evalProgramTests: base.evalProgramTests.map((t) => ({ ...t, code: r(t.code) })),
    ...(base.etTests ? { etTests: base.etTests.map((t) => ({ ...t, code: r(t.code) })) } : {}),
    canonicalSolution: r(base.canonicalSolution),
    raw: { ...base.raw, synthetic_from: base.taskId },
  };
}

/** `n` synthetic problems cycling over MBPP (all splits) and HumanEval. */
export async function syntheticProblems(n: number): Promise<Problem[]> {
  const base = [...(await loadDataset('mbpp', { split: 'all' })), ...(await loadDataset('humaneval'))];
  return Array.from({ length: n }, (_, i) => renameProblem(base[i % base.length]!, i));
}

/** A replay samples file answering every problem with its reference solution. */
export function writeReplayFile(file: string, problems: Problem[]): ModelSpec {
  writeFileSync(file, problems.map((p) => JSON.stringify({ task_id: p.taskId, solution: p.canonicalSolution })).join('\n') + '\n');
  return { kind: 'replay', samplesFile: file, model: 'replay:reference' };
}

/** Record a campaign over these problems and start its workflow (what campaigns/service.ts startCampaign does for a dataset). */
export async function startProblemsCampaign(ctx: { db: Database; client: Client }, problems: Problem[], model: ModelSpec,
  opts: { concurrency: number; dataset?: string; maxBatch?: number }): Promise<{ campaignId: string; workflowId: string; problemIds: number[] }> {
  const problemIds = await upsertProblems(ctx.db, problems);
  const campaignId = newCampaignId();
  const workflowId = campaignWorkflowId(campaignId);
  await ctx.db.insert(campaigns).values({
    id: campaignId, method: 'baseline', dataset: opts.dataset ?? 'mbpp', model: model.model, simulated: false,
    config: { synthetic: true, problems: problems.length }, workflowId, problemsTotal: problemIds.length,
  });
  const [run] = await ctx.db.insert(runs).values({ campaignId, name: 'baseline', config: {} }).returning({ id: runs.id });
  const input: CampaignInput = {
    campaignId, runId: run!.id, problemIds, model, concurrency: opts.concurrency, ...(opts.maxBatch ? { maxBatch: opts.maxBatch } : {}),
    params: { promptType: 'deepseek_instruct', temperature: 0, topP: 0.95, maxTokens: 512, seed: 40 },
  };
  await ctx.client.workflow.start(baselineCampaign, { workflowId, taskQueue: taskQueues.default, args: [input] });
  return { campaignId, workflowId, problemIds };
}

/** Peak resident set size of a process (Linux VmHWM), in MiB; undefined when unknown. */
export function peakRssMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch { return undefined; }
}

/** Every run of a workflow id (continue-as-new makes several): history events and bytes per run. */
export async function historySizes(client: Client, workflowId: string): Promise<Array<{ runId: string; events: number; bytes: number | undefined }>> {
  const out: Array<{ runId: string; events: number; bytes: number | undefined }> = [];
  for await (const info of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    out.push({ runId: info.runId, events: info.historyLength, bytes: info.historySize });
  }
  return out;
}
