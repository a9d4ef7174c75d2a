// `egcfg run` and `egcfg evaluate`: start a campaign through Temporal, show progress, write the outputs, print the
// summary as one JSON line last.
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadReplaySamples } from '../../activities/model/replay.ts';
import { startSimulatedModelServer } from '../../activities/model/simulated-server.ts';
import { spawnTrainer, trainerEnvStatus } from '../../core/trainer-env.ts';
import { replayCoverage } from '../../campaigns/replay-coverage.ts';
import { selectProblems } from '../../core/datasets/select.ts';
import { checkSelectionOptions, OptionsError, parseRunOptions, type RunOptions } from '../../campaigns/options.ts';
import {
  campaignErrors, campaignProgress, campaignResults, startCampaign, waitForBtpCampaign, waitForCampaign, type ServiceContext,
} from '../../campaigns/service.ts';
import { datasetCoverage, loadDataset } from '../../core/datasets/index.ts';
import type { EgcfgCampaignSummary, EgcfgGuidanceLoss, ModelSpec } from '../../core/contracts.ts';
import { campaignExtraction, extractionLine } from '../../campaigns/extraction.ts';
import { passAtKFields, reportErrors, samplesCoverageLine, SIMULATED_NOTE, summaryTable, writeCampaignOutputs, type SummaryLine } from '../output.ts';
import { openRuntime, runtimeOptionsFrom, type ServiceFlagValues } from '../runtime.ts';
import { num, optionsFromFlags, str, type FlagValues } from '../flags.ts';
import { evaluateFlags, runFlags, runGroups } from '../spec.ts';
import { knowledgeFor, startSimulatedModel } from '../simulated.ts';
import { localBtpModels } from '../btp-local.ts';
import { catalogueModel, findCatalogueModel, isSimulatedName } from '../../core/models/catalogue.ts';
import { LOCAL_SLOTS } from '../../core/models/local-server.ts';
import { localLlamaSpec } from '../local-model.ts';
import { ensureLocalInfer, runningLocalInfer } from '../../core/models/local-infer.ts';
import { withEgcfgPath } from '../../campaigns/egcfg-path.ts';
import { egcfgPromptFormat } from '../../campaigns/egcfg-chat.ts';
import { signalCampaign } from '../../campaigns/service.ts';
import { trustModelUrl } from '../../core/model-servers.ts';

/** The catalogue's prompt format for a catalogue model named without --model-url; otherwise the option's default (raw). */
function defaultPromptFormat(values: { 'model-name'?: string; 'model-url'?: string; simulated?: boolean }): 'chat' | 'raw' | undefined {
  const name = values['model-name'];
  if (!name || values.simulated || isSimulatedName(name)) return undefined;
  return findCatalogueModel(name)?.promptFormat;
}

/**
 * Which server a campaign's model is served by: a replayed samples file; an external --model-url; the simulator (only
 * when asked: --simulated or a name starting with 'simulated'); or a catalogue model on a local llama-server owned by
 * the data folder (started or reused). Any other name is an error that lists the catalogue.
 */
async function resolveModel(opts: RunOptions, dataDir: string, simulatedFlag: boolean, startSimulator: () => Promise<{ url: string }>): Promise<ModelSpec> {
  if (opts.samplesFile) return { kind: 'replay', samplesFile: opts.samplesFile, model: opts.modelName };
  const dialect = opts.modelBackend ? { dialect: opts.modelBackend } : {};
  if (opts.modelUrl) {
    trustModelUrl(opts.modelUrl); // the CLI's own choice: the legacy EGCFG_MODEL_API_KEY may go there (core/model-servers.ts)
    return { kind: 'openai', baseUrl: opts.modelUrl, model: opts.modelName, simulated: false, ...dialect };
  }
  if (simulatedFlag || isSimulatedName(opts.modelName)) {
    const sim = await startSimulator();
    console.error(`[egcfg] Model: SIMULATED model server at ${sim.url}. ${SIMULATED_NOTE}.`);
    return { kind: 'openai', baseUrl: sim.url, model: opts.modelName, simulated: true };
  }
  const m = catalogueModel(opts.modelName);
  // EG-CFG's local path: the local inference service (transformers, full-vocabulary CFG), asked for or already running.
  if (opts.method === 'eg-cfg' && (opts.egcfgPath === 'local' || (opts.egcfgPath === undefined && runningLocalInfer(dataDir, m.name)))) {
    const svc = await ensureLocalInfer(dataDir, m);
    console.error(`[egcfg] Model: ${m.title} on the local inference service at ${svc.url} (pid ${svc.pid}; ${svc.file}); EG-CFG path local`);
    return { kind: 'openai', baseUrl: svc.url, model: m.name, simulated: false, dialect: 'vllm', egcfgPath: 'local' };
  }
  return localLlamaSpec(dataDir, m, 'Model', `; prompt format ${opts.promptFormat ?? 'raw'}`);
}

/** Ctrl-C / SIGTERM: cancel the campaign (its rows stay), and let the caller exit 130 once cancellation is recorded. */
function cancelOnSignal(ctx: ServiceContext, campaignId: string): { dispose(): void; stopped(): boolean } {
  let stopped = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopped) { console.error(`\n[egcfg] ${sig} again: exiting now; campaign ${campaignId} may still be running (egcfg campaigns cancel ${campaignId})`); process.exit(130); }
    stopped = true;
    console.error(`\n[egcfg] ${sig}: cancelling campaign ${campaignId} (results so far stay stored; press Ctrl-C again to exit at once)`);
    void signalCampaign(ctx, campaignId, 'cancel').catch((e: unknown) => console.error(`[egcfg] could not cancel: ${(e as Error).message}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { dispose: () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); }, stopped: () => stopped };
}

/** The BTP fields of the run options from the flags (absent flags: the option's default); `egcfg experiment` takes them too. */
export const btpOptionsFrom = (values: FlagValues): Record<string, unknown> => optionsFromFlags(values, runGroups.btp);

/** The tiny random-init Llama (python/trainer/tiny_model.py) in the data folder, built once: the simulated mode's trainable model. */
export async function ensureTinyModel(dataDir: string, log: (l: string) => void = (l) => console.error(l)): Promise<string> {
  const dir = join(dataDir, 'tiny-model');
  if (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'tokenizer.json'))) return dir;
  const env = trainerEnvStatus();
  if (!env.installed) throw new Error(`method btp needs the LoRA trainer: ${env.reason}`);
  log(`[egcfg] Building the tiny local model for the trainer in ${dir} (python/trainer/tiny_model.py)`);
  const r = await spawnTrainer('tiny_model', ['--output', dir]).done;
  if (r.code !== 0) throw new Error(`building the tiny model failed (${r.signal ?? r.code}): ${r.stderr.slice(-1500)}`);
  return dir;
}

export interface BtpModels {
  target: ModelSpec;
  source: ModelSpec;
  opts: RunOptions;
  close(): Promise<void>;
}

/**
 * The models of a BTP campaign. With --model-url (and --source-model-url) the given servers; for a catalogue model,
 * local llama-servers (cli/btp-local.ts); otherwise simulated ones:
 * one for the target model (serving its LoRA adapters, skill --sim-skill, adapters --sim-adapter-skill) and, when the
 * source model is another model, one for the source (--sim-source-skill). Fills in the tiny model and the work folder.
 */
export async function prepareBtp(opts: RunOptions, dataDir: string, sim: { skill?: number; adapterSkill?: number; sourceSkill?: number } = {}): Promise<BtpModels> {
  const targetName = opts.targetModel ?? opts.modelName;
  const sourceName = opts.sourceModel ?? opts.modelName;
  const servers: { close(): Promise<void> }[] = [];
  let target: ModelSpec;
  let source: ModelSpec;
  let filled = opts;
  if (opts.modelUrl) {
    target = { kind: 'openai', baseUrl: opts.modelUrl, model: targetName, simulated: false };
    source = { kind: 'openai', baseUrl: opts.sourceModelUrl ?? opts.modelUrl, model: sourceName, simulated: false };
    if (!opts.baseModelDir) throw new OptionsError([{ field: '--base-model-dir', message: 'with --model-url, method btp needs the target model\'s weights folder for the trainer' }]);
  } else if (findCatalogueModel(targetName)) {
    // A catalogue model: real llama-servers started for it, never the simulator.
    const real = await localBtpModels(dataDir, { target: targetName, source: sourceName, sourceUrl: opts.sourceModelUrl, baseModelDir: opts.baseModelDir });
    ({ target, source } = real);
    filled = { ...filled, baseModelDir: real.baseModelDir };
  } else {
    const problems = [
      ...(await loadDataset(opts.dataset, { ...(opts.datasetFile ? { file: opts.datasetFile } : {}), split: 'all' })),
      ...(opts.trainDataset !== opts.dataset ? await loadDataset(opts.trainDataset, { split: 'all' }) : []),
    ];
    const t = await startSimulatedModelServer({
      port: 0, knowledge: knowledgeFor(problems), modelName: targetName, checkLoraPath: true,
      ...(sim.skill !== undefined ? { skill: sim.skill } : {}), ...(sim.adapterSkill !== undefined ? { adapterSkill: sim.adapterSkill } : {}),
    });
    servers.push(t);
    target = { kind: 'openai', baseUrl: t.url, model: targetName, simulated: true };
    source = target;
    if (sourceName !== targetName) {
      const s = await startSimulatedModelServer({ port: 0, knowledge: knowledgeFor(problems), modelName: sourceName, skill: sim.sourceSkill ?? 0.8 });
      servers.push(s);
      source = { kind: 'openai', baseUrl: s.url, model: sourceName, simulated: true };
    }
    if (!opts.baseModelDir) filled = { ...filled, baseModelDir: await ensureTinyModel(dataDir) };
  }
  if (!filled.workDir) filled = { ...filled, workDir: join(dataDir, 'btp') };
  return { target, source, opts: filled, async close() { for (const s of servers) await s.close(); } };
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: runFlags, strict: true }) as { values: FlagValues & CommonValues };
  const method = str(values, 'method');
  const modelUrl = str(values, 'model-url');
  const naming = { 'model-name': str(values, 'model-name'), ...(modelUrl ? { 'model-url': modelUrl } : {}), ...(values.simulated ? { simulated: true } : {}) };
  const opts = parseRunOptions({
    // Every flag of the common, model and baseline options; a method's own flags only for that method.
    ...optionsFromFlags(values, { ...runGroups.common, ...runGroups.model }),
    method: method ?? 'baseline',
    promptFormat: str(values, 'prompt-format') ?? defaultPromptFormat(naming),
    // A local llama-server has 4 slots; two problems more than that keep them busy while others are in the sandbox
    // (bench/model-throughput.ts, SmolLM2, 8 HumanEval problems, one run: 0.59× the raw server's tokens/s with 4 in
    // flight, 0.84× with 6).
    concurrency: num(str(values, 'concurrency'), '--concurrency') ?? (defaultPromptFormat(naming) !== undefined && !modelUrl ? LOCAL_SLOTS + 2 : undefined),
    ...(method === 'eg-cfg' ? optionsFromFlags(values, runGroups.egcfg) : {}),
    ...(method === 'btp' ? btpOptionsFrom(values) : {}),
    // BTP trains on MBPP's train + prompt splits: it is evaluated on MBPP's test split unless --dataset says otherwise.
    ...(method === 'btp' && str(values, 'dataset') === undefined ? { dataset: 'mbpp' } : {}),
  });
  return execute(opts, values, {
    simSkill: num(str(values, 'sim-skill'), '--sim-skill'), simAdapterSkill: num(str(values, 'sim-adapter-skill'), '--sim-adapter-skill'),
    simSourceSkill: num(str(values, 'sim-source-skill'), '--sim-source-skill'),
  });
}

export async function evaluateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: evaluateFlags, strict: true }) as { values: FlagValues & CommonValues & { samples?: string; missing?: string; 'dataset-file'?: string[] } };
  if (!values.samples) throw new OptionsError([{ field: '--samples', message: 'a samples file (evalplus JSONL) is required' }]);
  const samplesFile = resolve(values.samples);
  await loadReplaySamples(samplesFile); // fail now, naming the bad line, before anything starts
  const opts = parseRunOptions({
    dataset: values.dataset, method: 'baseline', modelName: `replay:${basename(samplesFile)}`, samplesFile,
    datasetFile: values['dataset-file']?.join(',') || undefined, split: values.split, maxProblems: num(str(values, 'max-problems'), '--max-problems'),
    seed: num(str(values, 'seed'), '--seed'), concurrency: num(str(values, 'concurrency'), '--concurrency') ?? 16, missing: values.missing,
  });
  // Unknown task ids, uneven sample counts, nothing covered: said before any service starts.
  const all = await loadDataset(opts.dataset, { ...(opts.datasetFile ? { file: opts.datasetFile } : {}), ...(opts.split ? { split: opts.split } : {}) });
  await replayCoverage(samplesFile, all, selectProblems(all, opts), opts.missing);
  return execute(opts, values, {});
}

type CommonValues = ServiceFlagValues & { 'output-dir'?: string; quiet?: boolean; simulated?: boolean };

async function execute(given: RunOptions, values: CommonValues, extra: { simSkill?: number; simAdapterSkill?: number; simSourceSkill?: number }): Promise<number> {
  if (given.method === 'btp') return executeBtp(given, values, extra);
  let opts = given;
  // A name that is neither served by a URL, simulated, nor in the catalogue is bad input: say so before starting anything.
  if (!opts.samplesFile && !opts.modelUrl && !values.simulated && !isSimulatedName(opts.modelName)) catalogueModel(opts.modelName);
  checkSelectionOptions(opts);
  // --prompt-format chat with a flag it gives no meaning (exit 2, naming both), before any service starts.
  if (opts.method === 'eg-cfg') egcfgPromptFormat(opts);
  const runtime = await openRuntime(runtimeOptionsFrom(values));
  let simulator: Awaited<ReturnType<typeof startSimulatedModel>> | undefined;
  let interrupted = false;
  try {
    let model = await resolveModel(opts, runtime.dataDir, values.simulated === true, async () => {
      const problems = await loadDataset(opts.dataset, { ...(opts.datasetFile ? { file: opts.datasetFile } : {}), split: 'all' });
      simulator = await startSimulatedModel(problems, opts.modelName, extra.simSkill !== undefined ? { skill: extra.simSkill } : {});
      return simulator;
    });
    if (opts.method === 'eg-cfg') {
      model = await withEgcfgPath(opts.egcfgPath, model);
      if (model.kind === 'openai') opts = { ...opts, egcfgPath: model.egcfgPath };
    }
    const ctx: ServiceContext = { db: runtime.database.db, client: runtime.client };
    const created = await startCampaign(ctx, opts, model);
    // The handler goes in before the line that tells a watcher the campaign exists: a Ctrl-C right after it must cancel.
    const interrupt = cancelOnSignal(ctx, created.campaignId);
    console.error(`[egcfg] Campaign ${created.campaignId}: ${created.problems} ${opts.dataset} problems, method ${opts.method}, workflow ${created.workflowId}`);
    const stopProgress = values.quiet ? async () => {} : showProgress(ctx, created.campaignId);
    let summary;
    try {
      summary = await waitForCampaign(ctx, created.campaignId);
    } catch (err) {
      if (!interrupt.stopped()) throw err;
    } finally {
      await stopProgress();
      interrupt.dispose();
    }
    if (interrupt.stopped() || !summary) {
      interrupted = true;
      console.error(`[egcfg] campaign ${created.campaignId} cancelled; what it recorded stays in ${runtime.database.location}`);
      return 130;
    }
    const rows = await campaignResults(runtime.database.db, created.campaignId);
    const errored = await campaignErrors(runtime.database.db, created.campaignId); // issue 13: 'error' is not 'failed'
    const coverage = datasetCoverage(opts.dataset);
    const extraction = opts.method === 'baseline' ? await campaignExtraction(runtime.database.db, created.campaignId) : undefined;
    const line: SummaryLine = {
      campaign_id: created.campaignId, dataset: opts.dataset, method: opts.method, model: summary.model,
      simulated: summary.simulated, problems: summary.problems, passed: summary.passed, errors: errored.count, pass_at_1: summary.passAt1,
      ...(coverage.full ? {} : { coverage: coverage.note }),
      ...(extraction ? { extraction } : {}),
      ...passAtKFields(summary),
      ...(created.samplesCoverage ? { samples_coverage: {
        covered: created.samplesCoverage.covered, selected: created.samplesCoverage.selected,
        missing: created.samplesCoverage.missing, samples_per_task: created.samplesCoverage.samplesPerTask,
      } } : {}),
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
    if (line.extraction) console.error(extractionLine(line.extraction));
    if (line.samples_coverage) console.error(samplesCoverageLine(line.samples_coverage));
    console.error(`\nResults: ${join(out, 'results.jsonl')} (per problem), ${join(out, 'summary.md')}; database: ${line.database}`);
    console.log(JSON.stringify(full));
    return reportErrors(line, errored); // issue 13: non-zero, with how many and the first message, when any ended in 'error'
  } finally {
    // After Ctrl-C the worker may be shut down mid-task: its complaints must not turn exit 130 into a failure.
    const quiet = (e: unknown) => { if (!interrupted) throw e; };
    await simulator?.close().catch(quiet);
    await runtime.close().catch(quiet);
  }
}

/** `egcfg run --method btp`: the BTP cycle through Temporal; per-iteration pass@1, the last evaluation's results. */
async function executeBtp(opts: RunOptions, values: CommonValues, extra: { simSkill?: number; simAdapterSkill?: number; simSourceSkill?: number }): Promise<number> {
  const runtime = await openRuntime(runtimeOptionsFrom(values));
  let models: BtpModels | undefined;
  try {
    models = await prepareBtp(opts, runtime.dataDir, { ...(extra.simSkill !== undefined ? { skill: extra.simSkill } : {}),
      ...(extra.simAdapterSkill !== undefined ? { adapterSkill: extra.simAdapterSkill } : {}), ...(extra.simSourceSkill !== undefined ? { sourceSkill: extra.simSourceSkill } : {}) });
    if (models.target.kind === 'openai' && models.target.simulated) console.error(`[egcfg] Model: SIMULATED model server(s) (no --model-url given). ${SIMULATED_NOTE}.`);
    const ctx: ServiceContext = { db: runtime.database.db, client: runtime.client };
    const created = await startCampaign(ctx, models.opts, models.target, { sourceModel: models.source });
    console.error(`[egcfg] Campaign ${created.campaignId}: BTP, ${created.problems} ${opts.dataset} evaluation problems, workflow ${created.workflowId}`);
    const summary = await waitForBtpCampaign(ctx, created.campaignId);
    const last = summary.iterations.at(-1)!;
    const rows = await campaignResults(runtime.database.db, last.evalCampaignId);
    const errored = await campaignErrors(runtime.database.db, last.evalCampaignId); // the last evaluation's 'error' problems
    const line: SummaryLine = {
      campaign_id: created.campaignId, dataset: opts.dataset, method: 'btp', model: last.model, simulated: summary.simulated,
      problems: summary.problems, passed: summary.passed, errors: errored.count, pass_at_1: summary.passAt1,
      output_dir: resolve(values['output-dir'] ?? join('results', created.campaignId)), database: runtime.database.location,
    };
    const full = {
      ...line, source_model: models.source.model, target_model: models.target.model, best_iteration: summary.bestIteration,
      best_pass_at_1: summary.bestPassAt1, stopped_because: summary.stoppedBecause,
      iterations: summary.iterations.map((h) => ({ iteration: h.iteration, model: h.model, problems: h.problems, passed: h.passed, pass_at_1: h.passAt1, buffer_size: h.bufferSize, eval_campaign_id: h.evalCampaignId })),
    };
    const out = writeCampaignOutputs(line.output_dir, rows, full);
    console.error('');
    console.error(['iteration  model  pass@1 %  buffer', ...summary.iterations.map((h) => `${String(h.iteration).padEnd(9)}  ${h.model}  ${(100 * h.passAt1).toFixed(2)}  ${h.bufferSize}`)].join('\n'));
    if (line.simulated) console.error(`\nNOTE: ${SIMULATED_NOTE}. The LoRA training is real (losses in training_runs); pass@1 comes from the simulated server.`);
    console.error(`\nResults: ${join(out, 'results.jsonl')} (last iteration, per problem), ${join(out, 'summary.md')}; database: ${line.database}`);
    console.log(JSON.stringify(full));
    return reportErrors(line, errored);
  } finally {
    await models?.close();
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
      // RSR is over the problems both campaigns scored (rsr_problems), at these two pass@1 values.
      ...(p.rsrProblems !== undefined ? { rsr_problems: p.rsrProblems, rsr_pass_at_1: p.rsrPassAt1 ?? null } : {}),
      ...(p.rsrNote !== undefined ? { rsr_note: p.rsrNote } : {}),
    })),
    baseline_campaign_id: s.baselineCampaignId,
    cost: s.cost,
    // Which selection the search used (--protocol): under 'strict' the HumanEval / CodeContests paper rows are not the
    // authors' selection; under 'paper' the strict rows saw hidden tests.
    selection_protocol: s.selectionProtocol ?? 'strict',
    // Which EG-CFG procedure ran (--egcfg-path): the endpoint's top-k or the local service's full-vocabulary CFG.
    egcfg_path: s.egcfgPath ?? 'endpoint',
    // Which prompt texts ran (--authors-prompts): ours, or the authors' from a checkout (its folder and commit).
    prompts: s.prompts ?? 'ours',
    // Which prompt format ran (--prompt-format): the model's chat template, or the raw DeepSeek instruct text.
    prompt_format: s.promptFormat ?? 'raw',
    ...(s.visibleTests ? {
      visible_tests: {
        problems: s.visibleTests.problems, no_visible_tests: s.visibleTests.noVisibleTests, wrong_visible_asserts: s.visibleTests.wrongVisibleAsserts,
        no_visible_tests_tasks: s.visibleTests.noVisibleTestsTasks, wrong_visible_asserts_tasks: s.visibleTests.wrongVisibleAssertsTasks,
      },
    } : {}),
  };
}

/** The lines under an EG-CFG table that say what the protocols selected on, and (HumanEval) how good the visible tests are. */
function egcfgProtocolNotes(e: ReturnType<typeof egcfgSummaryFields>): string[] {
  const lines = [e.selection_protocol === 'paper'
    ? "selection: --protocol paper (the authors' evaluation tests stopped the search: HumanEval check(), MBPP test_list); strict rows saw hidden tests"
    : "selection: --protocol strict (visible tests stopped the search); for HumanEval and CodeContests the paper row is not the authors' selection (run with --protocol paper)"];
  const r = e.protocols.find((p) => p.rsr_problems !== undefined);
  if (r?.rsr_note !== undefined) lines.push(`RSR: none (${r.rsr_note})`);
  else if (r) lines.push(`RSR on the ${r.rsr_problems} problems both campaigns scored (baseline pass@1 there: ${r.baseline_pass_at_1 === null ? '–' : (100 * r.baseline_pass_at_1).toFixed(2)} %)`);
  lines.push(`prompts: ${e.prompts}, prompt format ${e.prompt_format}${e.prompt_format === 'chat' ? " (the model's chat template)" : ''}`);
  const v = e.visible_tests;
  if (v) lines.push(`visible tests (docstring examples): ${v.no_visible_tests} of ${v.problems} problems have none, ${v.wrong_visible_asserts} have asserts the canonical solution fails`);
  return lines;
}

/** Guidance lost to the model's context, said only when there was some. */
function guidanceLossLines(g: EgcfgGuidanceLoss | undefined): string[] {
  if (!g || g.signalsFitted + g.overflowSteps === 0) return [];
  return [`context: ${g.signalsFitted} signals fitted to the model's context (${g.signalsEmptied} to nothing: guidance skipped for the line), ${g.overflowSteps} steps unguided because the server refused the conditional prompt (egcfg show marks each)`];
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
    ...guidanceLossLines(c.guidanceLoss),
    ...(c.costCaps && c.costCaps.linesCapped + c.costCaps.generationsCapped > 0
      ? [`cost caps: ${c.costCaps.linesCapped} lines decoded unguided past --line-token-cap, ${c.costCaps.generationsCapped} generations ended by --problem-token-cap`] : []),
    ...egcfgProtocolNotes(e),
  ].join('\n');
}
