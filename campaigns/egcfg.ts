// Starting an EG-CFG campaign: the agents (a grid file, or one configuration from the options), their seeds (§1.2),
// one `runs` row per agent, then the egcfgCampaign workflow. Called by startCampaign for method 'eg-cfg'.
import { expandGrid, PAPER_GRID, parseGrid, type NamedAgentConfig } from '../core/egcfg/grid.ts';
import { loadGridFile } from '../core/egcfg/grid-file.ts';
import { agentSeed } from '../core/egcfg/seed.ts';
import { EXECUTION_TIMEOUT_SEC, REASONING_MAX_TRIES } from '../core/egcfg/constants.ts';
import { agentName } from '../core/egcfg/grid.ts';
import { selectionSuite } from '../core/egcfg/protocol.ts';
import { baselineMismatch } from '../core/metrics.ts';
import { executionOfRow } from '../core/stored/per-test.ts';
import { resultOfRow } from '../core/stored/result-detail.ts';
import { sampleOfRow } from '../core/stored/sample-params.ts';
import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import {
  campaigns, egcfgCandidates, egcfgGenerations, egcfgSteps, egcfgTraces, executions, results, runs, samples,
} from '../db/schema/index.ts';
import { launchCampaign, type LaunchContext } from './start-workflow.ts';
import type { EgcfgAgentSpec, EgcfgCampaignInput, EgcfgParams, ModelSpec } from '../core/contracts.ts';
import { OptionsError, type RunOptions } from './options.ts';
import { withEgcfgPath } from './egcfg-path.ts';
import { checkChatTemplate, egcfgPromptFormat } from './egcfg-chat.ts';
import { getCampaign } from './context.ts';
import { AuthorsPromptsError, authorsLabel, loadAuthorsPrompts, type PromptsLabel } from '../core/prompts/authors.ts';
import { campaignProblem, datasetFilesOf, pinCampaign } from './pins.ts';

/** The t used when the options say temperature 0 (s unique candidates need sampling): the paper grid's lowest t. */
export const DEFAULT_AGENT_TEMPERATURE = PAPER_GRID.t[0]!;

/** The agents of a campaign, in grid order. */
export function egcfgAgents(opts: RunOptions): NamedAgentConfig[] {
  if (opts.grid) {
    let grid;
    try {
      grid = typeof opts.grid === 'string' ? loadGridFile(opts.grid) : parseGrid(opts.grid, 'inline grid');
    } catch (err) {
      // A missing or malformed grid is the caller's input, named as such (the CLI exits 2, the API answers 400); the
      // messages never quote a file's contents.
      throw new OptionsError([{ field: 'grid', message: (err as Error).message }]);
    }
    return expandGrid(grid);
  }
  const cfg = {
    t: opts.temperature > 0 ? opts.temperature : DEFAULT_AGENT_TEMPERATURE, s: opts.numCandidates, d: opts.horizon, k: 1,
    promptType: opts.promptType, partialEnabled: false,
  };
  return [{ ...cfg, name: agentName(cfg) }];
}

/** The prompts a campaign uses: the authors' texts from --authors-prompts (validated here: a bad checkout is the caller's input), or ours. */
export function egcfgPromptsLabel(opts: RunOptions): PromptsLabel {
  if (!opts.authorsPrompts) return { source: 'ours' };
  try {
    return authorsLabel(loadAuthorsPrompts(opts.authorsPrompts));
  } catch (err) {
    if (err instanceof AuthorsPromptsError) throw new OptionsError([{ field: 'authorsPrompts', message: err.message }]);
    throw err;
  }
}

export function egcfgParams(opts: RunOptions): EgcfgParams {
  const prompts = egcfgPromptsLabel(opts);
  const promptFormat = egcfgPromptFormat(opts);
  return {
    gammas: opts.gammas, retries: opts.retries, maxNewTokens: opts.maxNewTokens, topLogprobs: opts.topLogprobs,
    reasoningMaxTokens: opts.reasoningMaxTokens, maxAgents: opts.maxAgents, earlyStop: opts.earlyStop,
    wallCapMs: Math.round(opts.generationTimeoutMin * 60_000), traceTimeoutMs: EXECUTION_TIMEOUT_SEC * 1000, traceMaxChars: opts.traceMaxChars,
    ...(opts.heartbeatTimeoutMs ? { heartbeatTimeoutMs: opts.heartbeatTimeoutMs } : {}),
    ...(opts.stepTimeoutMin !== undefined ? { stepTimeoutMs: Math.round(opts.stepTimeoutMin * 60_000) } : {}),
    protocol: opts.protocol, selectionSuite: selectionSuite(opts.dataset, opts.protocol),
    ...(opts.candidateTokens !== 'paper' ? { candidateTokens: opts.candidateTokens } : {}),
    ...(prompts.source === 'authors' ? { prompts: { source: 'authors' as const, dir: prompts.dir!, commit: prompts.commit ?? null, sha256: prompts.sha256! } } : {}),
    fenceInstruction: opts.fenceInstruction, traceFormat: opts.traceFormat, forcedName: opts.forcedName, condPrompt: opts.condPrompt,
    promptFormat,
    ...reasoningBudgetOf(opts), ...costCapsOf(opts),
  };
}

/** --reasoning-tries / --reasoning-tokens as the budget a generation records (absent when neither is set). */
function reasoningBudgetOf(opts: RunOptions): Pick<EgcfgParams, 'reasoningBudget'> {
  if (opts.reasoningTries === undefined && opts.reasoningTokens === undefined) return {};
  const tries = opts.reasoningTries ?? REASONING_MAX_TRIES;
  return { reasoningBudget: { tries, tokens: opts.reasoningTokens ?? tries * opts.reasoningMaxTokens } };
}

function costCapsOf(opts: RunOptions): Pick<EgcfgParams, 'costCaps'> {
  const caps = {
    ...(opts.lineTokenCap !== undefined ? { lineTokens: opts.lineTokenCap } : {}),
    ...(opts.problemTokenCap !== undefined ? { problemTokens: opts.problemTokenCap } : {}),
  };
  return Object.keys(caps).length > 0 ? { costCaps: caps } : {};
}

/** Refuses a baseline campaign that does not exist or has another dataset or model (RSR would compare unlike runs). */
async function checkBaseline(db: Database, baselineId: string, campaign: { dataset: string; model: string }): Promise<void> {
  const [b] = await db.select({ id: campaigns.id, dataset: campaigns.dataset, model: campaigns.model }).from(campaigns).where(eq(campaigns.id, baselineId));
  if (!b) throw new OptionsError([{ field: 'baselineCampaign', message: `baseline campaign ${baselineId} not found in this database` }]);
  const why = baselineMismatch(campaign, b);
  if (why !== null) throw new OptionsError([{ field: 'baselineCampaign', message: why }]);
}

export async function startEgcfgCampaign(
  ctx: LaunchContext, given: RunOptions, asked: ModelSpec,
  c: { campaignId: string; workflowId: string; problemIds: number[] },
): Promise<void> {
  // The EG-CFG path (--egcfg-path, campaigns/egcfg-path.ts), for the CLI and the API alike: in the model spec the
  // generations read, and in the recorded options.
  const model = await withEgcfgPath(given.egcfgPath, asked);
  const opts: RunOptions = model.kind === 'openai' && model.egcfgPath !== undefined ? { ...given, egcfgPath: model.egcfgPath } : given;
  if (model.kind !== 'openai') throw new OptionsError([{ field: 'method', message: 'eg-cfg needs a model server (--model-url or the simulated one), not a samples file' }]);
  if (opts.baselineCampaign) await checkBaseline(ctx.db, opts.baselineCampaign, { dataset: opts.dataset, model: model.model });
  const agents = egcfgAgents(opts);
  if (new Set(opts.gammas).size !== opts.gammas.length) throw new OptionsError([{ field: 'gammas', message: 'duplicate gamma values' }]);
  const simulated = model.simulated;
  const params = egcfgParams(opts);
  // Chat format renders each problem's prompts with the model's template on its server: refused now if it cannot.
  if (params.promptFormat === 'chat') await checkChatTemplate(model);
  await ctx.db.insert(campaigns).values({
    id: c.campaignId, method: opts.method, dataset: opts.dataset, model: model.model, simulated,
    config: { ...opts, promptFormat: params.promptFormat, model, agents: agents.map((a) => a.name), prompts: params.prompts ?? { source: 'ours' } }, workflowId: c.workflowId, problemsTotal: c.problemIds.length,
  });
  await pinCampaign(ctx.db, c.campaignId, { files: await datasetFilesOf(opts.dataset, opts.datasetFile), problems: [{ role: 'eval', ids: c.problemIds }] });
  const specs: EgcfgAgentSpec[] = [];
  for (const [index, a] of agents.entries()) {
    const [run] = await ctx.db.insert(runs).values({
      campaignId: c.campaignId, name: a.name, config: { method: 'eg-cfg', t: a.t, s: a.s, d: a.d, k: a.k, promptType: a.promptType },
    }).returning({ id: runs.id });
    specs.push({ name: a.name, index, t: a.t, s: a.s, d: a.d, k: a.k, promptType: a.promptType, seed: agentSeed(a, 0, opts.seed), runId: run!.id });
  }
  const input: EgcfgCampaignInput = {
    // The workflow reads the pinned ids a page at a time (each pinned once: a list with a repeated id stays inline).
    campaignId: c.campaignId, ...(new Set(c.problemIds).size === c.problemIds.length ? { problemsTotal: c.problemIds.length } : { problemIds: c.problemIds }),
    model, agents: specs, params,
    concurrency: opts.concurrency, ...(opts.baselineCampaign ? { baselineCampaignId: opts.baselineCampaign } : {}),
  };
  await launchCampaign(ctx, { workflow: 'egcfgCampaign', workflowId: c.workflowId, input });
}

/**
 * Everything stored about one problem of a campaign, for audits (`egcfg show`, the API): the verdicts per protocol and,
 * per EG-CFG generation (grid order, then γ), its steps, candidates, traced runs and executions (plain rows).
 */
export async function egcfgProblemSteps(db: Database, campaignId: string, taskId: string) {
  const campaign = await getCampaign(db, campaignId);
  // The problem version this campaign pinned (campaign_problems), not whatever the dataset holds now.
  const problem = await campaignProblem(db, campaignId, taskId);
  if (!problem) throw new OptionsError([{ field: 'task_id', message: `campaign ${campaignId} (dataset ${campaign.dataset}) has no task '${taskId}'` }]);
  const verdicts = (await db.select().from(results).where(and(eq(results.campaignId, campaignId), eq(results.problemId, problem.id))).orderBy(asc(results.protocol))).map(resultOfRow);
  const gens = await db.select().from(egcfgGenerations)
    .where(and(eq(egcfgGenerations.campaignId, campaignId), eq(egcfgGenerations.problemId, problem.id)))
    .orderBy(asc(egcfgGenerations.agentIndex), asc(egcfgGenerations.gammaIndex), asc(egcfgGenerations.attempt));
  const generations = [];
  for (const g of gens) {
    const steps = await db.select().from(egcfgSteps).where(eq(egcfgSteps.generationId, g.id)).orderBy(asc(egcfgSteps.seq));
    const candidates = await db.select().from(egcfgCandidates).where(eq(egcfgCandidates.generationId, g.id))
      .orderBy(asc(egcfgCandidates.lineIndex), asc(egcfgCandidates.side), asc(egcfgCandidates.requestIndex), asc(egcfgCandidates.candidateIndex));
    const traces = await db.select().from(egcfgTraces).where(eq(egcfgTraces.generationId, g.id)).orderBy(asc(egcfgTraces.id));
    const execs = g.sampleId === null ? [] : (await db.select().from(executions).where(eq(executions.sampleId, g.sampleId)).orderBy(asc(executions.suite))).map(executionOfRow);
    generations.push({ generation: g, steps, candidates, traces, executions: execs });
  }
  const baselineSamples = gens.length === 0
    ? (await db.select().from(samples).where(and(eq(samples.campaignId, campaignId), eq(samples.problemId, problem.id)))).map(sampleOfRow)
    : [];
  return { campaign, problem, verdicts, generations, baselineSamples };
}
