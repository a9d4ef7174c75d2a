// `egcfg run` and `egcfg evaluate`: start a campaign through Temporal, show progress, write the outputs, print the
// summary as one JSON line last.
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadReplaySamples } from '../../activities/model/replay.ts';
import { OptionsError, parseRunOptions, type RunOptions } from '../../campaigns/options.ts';
import { campaignProgress, campaignResults, startCampaign, waitForCampaign, type ServiceContext } from '../../campaigns/service.ts';
import { datasetCoverage, loadDataset } from '../../core/datasets/index.ts';
import type { EgcfgCampaignSummary, ModelSpec } from '../../workflows/types.ts';
import { SIMULATED_NOTE, summaryTable, writeCampaignOutputs, type SummaryLine } from '../output.ts';
import { openRuntime } from '../runtime.ts';
import { startSimulatedModel } from '../simulated.ts';

const sharedFlags = {
  dataset: { type: 'string' },
  'dataset-file': { type: 'string' },
  split: { type: 'string' },
  'max-problems': { type: 'string' },
  seed: { type: 'string' },
  'output-dir': { type: 'string' },
  concurrency: { type: 'string' },
  'temporal-address': { type: 'string' },
  namespace: { type: 'string' },
  'database-url': { type: 'string' },
  'data-dir': { type: 'string' },
  'no-worker': { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

const runFlags = {
  ...sharedFlags,
  method: { type: 'string' },
  'model-name': { type: 'string' },
  'model-url': { type: 'string' },
  temperature: { type: 'string' },
  'top-p': { type: 'string' },
  'max-tokens': { type: 'string' },
  'prompt-type': { type: 'string' },
  'sim-skill': { type: 'string' },
  // EG-CFG (--method eg-cfg)
  gamma: { type: 'string' },
  'num-candidates': { type: 'string' },
  horizon: { type: 'string' },
  grid: { type: 'string' },
  'max-agents': { type: 'string' },
  'top-logprobs': { type: 'string' },
  'max-new-tokens': { type: 'string' },
  retries: { type: 'string' },
  'no-early-stop': { type: 'boolean' },
  'trace-max-chars': { type: 'string' },
  'baseline-campaign': { type: 'string' },
} as const;

/** `--gamma 0,0.5,1,3` (or one value). */
function gammaList(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((x) => {
    const n = Number(x.trim());
    if (x.trim() === '' || !Number.isFinite(n)) throw new OptionsError([{ field: '--gamma', message: `'${v}' is not a comma-separated list of numbers` }]);
    return n;
  });
}

/** `--horizon N` or `--horizon inf` (unbounded). */
function horizonOf(v: string | undefined): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'inf' || v === 'None') return null;
  return num(v, '--horizon');
}

const evaluateFlags = { ...sharedFlags, samples: { type: 'string' } } as const;

const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new OptionsError([{ field: flag, message: `'${v}' is not a number` }]);
  return n;
};

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: runFlags, strict: true });
  const opts = parseRunOptions({
    dataset: values.dataset, method: values.method ?? 'baseline', modelName: values['model-name'],
    modelUrl: values['model-url'], datasetFile: values['dataset-file'], split: values.split,
    maxProblems: num(values['max-problems'], '--max-problems'), seed: num(values.seed, '--seed'),
    temperature: num(values.temperature, '--temperature'), topP: num(values['top-p'], '--top-p'),
    maxTokens: num(values['max-tokens'], '--max-tokens'), promptType: values['prompt-type'],
    concurrency: num(values.concurrency, '--concurrency'),
    ...(values.method === 'eg-cfg' ? {
      grid: values.grid === undefined ? undefined : resolve(values.grid), gammas: gammaList(values.gamma),
      numCandidates: num(values['num-candidates'], '--num-candidates'), horizon: horizonOf(values.horizon),
      maxAgents: num(values['max-agents'], '--max-agents'), topLogprobs: num(values['top-logprobs'], '--top-logprobs'),
      maxNewTokens: num(values['max-new-tokens'], '--max-new-tokens'), retries: num(values.retries, '--retries'),
      earlyStop: values['no-early-stop'] ? false : undefined, traceMaxChars: num(values['trace-max-chars'], '--trace-max-chars'),
      baselineCampaign: values['baseline-campaign'],
    } : {}),
  });
  return execute(opts, values, { simSkill: num(values['sim-skill'], '--sim-skill') });
}

export async function evaluateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: evaluateFlags, strict: true });
  if (!values.samples) throw new OptionsError([{ field: '--samples', message: 'a samples file (evalplus JSONL) is required' }]);
  const samplesFile = resolve(values.samples);
  await loadReplaySamples(samplesFile); // fail now, naming the bad line, before anything starts
  const opts = parseRunOptions({
    dataset: values.dataset, method: 'baseline', modelName: `replay:${basename(samplesFile)}`, samplesFile,
    datasetFile: values['dataset-file'], split: values.split, maxProblems: num(values['max-problems'], '--max-problems'),
    seed: num(values.seed, '--seed'), concurrency: num(values.concurrency, '--concurrency') ?? 16,
  });
  return execute(opts, values, {});
}

type CommonValues = { 'output-dir'?: string; 'temporal-address'?: string; namespace?: string; 'database-url'?: string;
  'data-dir'?: string; 'no-worker'?: boolean; quiet?: boolean };

async function execute(opts: RunOptions, values: CommonValues, extra: { simSkill?: number }): Promise<number> {
  const runtime = await openRuntime({
    ...(values['temporal-address'] ? { temporalAddress: values['temporal-address'] } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values['database-url'] ? { databaseUrl: values['database-url'] } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values['no-worker'] ? { workerQueues: [] } : {}),
  });
  let simulator: Awaited<ReturnType<typeof startSimulatedModel>> | undefined;
  try {
    let model: ModelSpec;
    if (opts.samplesFile) {
      model = { kind: 'replay', samplesFile: opts.samplesFile, model: opts.modelName };
    } else if (opts.modelUrl) {
      model = { kind: 'openai', baseUrl: opts.modelUrl, model: opts.modelName, simulated: false };
    } else {
      const problems = await loadDataset(opts.dataset, { ...(opts.datasetFile ? { file: opts.datasetFile } : {}), split: 'all' });
      simulator = await startSimulatedModel(problems, opts.modelName, extra.simSkill !== undefined ? { skill: extra.simSkill } : {});
      console.error(`[egcfg] Model: SIMULATED model server at ${simulator.url} (no --model-url given). ${SIMULATED_NOTE}.`);
      model = { kind: 'openai', baseUrl: simulator.url, model: opts.modelName, simulated: true };
    }
    const ctx: ServiceContext = { db: runtime.database.db, client: runtime.client };
    const created = await startCampaign(ctx, opts, model);
    console.error(`[egcfg] Campaign ${created.campaignId}: ${created.problems} ${opts.dataset} problems, method ${opts.method}, workflow ${created.workflowId}`);
    const stopProgress = values.quiet ? async () => {} : showProgress(ctx, created.campaignId);
    let summary;
    try {
      summary = await waitForCampaign(ctx, created.campaignId);
    } finally {
      await stopProgress();
    }
    const rows = await campaignResults(runtime.database.db, created.campaignId);
    const coverage = datasetCoverage(opts.dataset);
    const line: SummaryLine = {
      campaign_id: created.campaignId, dataset: opts.dataset, method: opts.method, model: summary.model,
      simulated: summary.simulated, problems: summary.problems, passed: summary.passed, pass_at_1: summary.passAt1,
      ...(coverage.full ? {} : { coverage: coverage.note }),
      output_dir: resolve(values['output-dir'] ?? join('results', created.campaignId)),
      database: runtime.database.location,
    };
    const egcfg = opts.method === 'eg-cfg' ? egcfgSummaryFields(summary as EgcfgCampaignSummary) : undefined;
    const full: SummaryLine & Partial<ReturnType<typeof egcfgSummaryFields>> = { ...line, ...egcfg };
    const out = writeCampaignOutputs(line.output_dir, rows, full);
    console.error('');
    console.error(summaryTable(line));
    if (egcfg) console.error(egcfgTable(egcfg));
    if (line.simulated) console.error(`\nNOTE: ${SIMULATED_NOTE}.`);
    if (line.coverage) console.error(`Coverage: ${line.coverage}`);
    console.error(`\nResults: ${join(out, 'results.jsonl')} (per problem), ${join(out, 'summary.md')}; database: ${line.database}`);
    console.log(JSON.stringify(full));
    return 0;
  } finally {
    await simulator?.close();
    await runtime.close();
  }
}

/**
 * Print progress every second: a rewritten line on a terminal, a line every 10 s otherwise. The returned stop function
 * waits for a poll in flight, so that the connection is not closed under it.
 */
function showProgress(ctx: ServiceContext, campaignId: string): () => Promise<void> {
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let lastPrinted = 0;
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = campaignProgress(ctx, campaignId).then((p) => {
      const elapsed = (Date.now() - started) / 1000;
      const rate = p.done / Math.max(elapsed, 1e-3);
      const eta = rate > 0 ? Math.round((p.total - p.done) / rate) : NaN;
      const pct = p.done ? ((100 * p.passed) / p.done).toFixed(1) : '–';
      const text = `[progress] ${p.done}/${p.total} done, ${p.passed} passed (pass@1 so far ${pct}%), ${p.running} running${p.paused ? ', PAUSED' : ''}${p.errors ? `, ${p.errors} errors` : ''}, ETA ${Number.isNaN(eta) ? '?' : `${eta}s`}`;
      if (tty) process.stderr.write(`\r${text}\x1b[K`);
      else if (Date.now() - lastPrinted > 10_000) { console.error(text); lastPrinted = Date.now(); }
    }).catch(() => { /* progress is best-effort */ }).finally(() => { inFlight = undefined; });
  }, 1000);
  return async () => {
    clearInterval(timer);
    await inFlight;
    if (tty) process.stderr.write('\n');
  };
}

/** The EG-CFG part of the summary line: both protocols (pass@1, RSR vs the baseline campaign) and the cost. */
function egcfgSummaryFields(s: EgcfgCampaignSummary) {
  return {
    protocol_note: 'pass_at_1 above is the paper protocol; see protocols for paper and strict',
    protocols: s.protocols.map((p) => ({
      protocol: p.protocol, problems: p.problems, passed: p.passed, pass_at_1: p.passAt1, rsr: p.rsr, baseline_pass_at_1: p.baselinePassAt1,
    })),
    baseline_campaign_id: s.baselineCampaignId,
    cost: s.cost,
  };
}

function egcfgTable(e: ReturnType<typeof egcfgSummaryFields>): string {
  const rows = e.protocols.map((p) => `${p.protocol.padEnd(8)}${String(p.passed).padStart(7)}/${String(p.problems).padEnd(7)}${(100 * p.pass_at_1).toFixed(2).padStart(9)}${(p.rsr === null ? '–' : p.rsr.toFixed(2)).padStart(9)}`);
  const c = e.cost;
  const per = (x: { modelCalls: number; promptTokens: number; completionTokens: number } | null) =>
    x === null ? '–' : `${x.modelCalls.toFixed(1)} model calls, ${Math.round(x.promptTokens)} prompt + ${Math.round(x.completionTokens)} completion tokens`;
  return [
    '', 'protocol  passed/problems  pass@1 %      RSR', ...rows,
    `cost: ${c.generations} generations (${c.cancelledGenerations} cancelled), ${c.modelCalls} model calls, ${c.guidedTokens} guided tokens (${c.changedTokens} changed by guidance), ${c.sandboxRuns} sandbox runs`,
    `per problem: ${per(c.perProblem)}; per solved problem (paper): ${per(c.perSolvedProblem)}`,
  ].join('\n');
}
