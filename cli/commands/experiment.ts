// `egcfg experiment step1|step2|step2-finetune|step3|step4|big-to-small|all`: the BTP study as campaigns through
// Temporal (every campaign, beam, buffer entry, training run and evaluation is in Postgres, each campaign's config
// naming its experiment, step and variant), then tables (CSV + Markdown) and plots (SVG) in the output folder.
//   step1          baseline pass@1 of the target model on the evaluation split
//   step2          BTP data collection: beam candidates of the training problems, their test pass rates, the buffer
//   step2-finetune the full BTP cycle: pass@1 per iteration
//   step3          ablation: power vs rank sampling, P2Value weight α, buffer size
//   step4          hyperparameters: sampling α, beam sampling temperature, beam size
//   big-to-small   candidates from --source-model, training and evaluation of --target-model
// Identical configurations within one invocation run once and are shared between tables (the default BTP
// configuration is one bar of every ablation). With the simulated model every table and plot says so: the LoRA
// training is real (the tiny local model's losses), the pass@1 numbers come from the simulated server.
import { modelUrlProblem, trustModelUrl } from '../../core/model-servers.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { and, asc, eq } from 'drizzle-orm';
import { NativeConnection } from '@temporalio/worker';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { startSimulatedModelServer } from '../../activities/model/simulated-server.ts';
import { getSharedSandbox } from '../../activities/sandbox/index.ts';
import { OptionsError, parseRunOptions, type RunOptions, type RunOptionsInput } from '../../campaigns/options.ts';
import { startCampaign, waitForCampaign, type ServiceContext } from '../../campaigns/service.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import type { Database } from '../../db/client.ts';
import { beams, btpIterations, bufferEntries, trainingRuns } from '../../db/schema/index.ts';
import type { BtpCycleSummary, CampaignSummary, ModelSpec } from '../../core/contracts.ts';
import { SIMULATED_NOTE } from '../output.ts';
import { openRuntime, runtimeOptionsFrom } from '../runtime.ts';
import { num, type FlagValues } from '../flags.ts';
import { experimentFlags } from '../spec.ts';
import { experimentSteps, type ExperimentMode, type ExperimentStep } from '../../campaigns/options/experiment.ts';
import { knowledgeFor } from '../simulated.ts';
import { temporalSettingsFromEnv, workerConnectionOptions } from '../temporal-connection.ts';
import { startWorkers } from '../../workers/worker.ts';
import { btpOptionsFrom, ensureTinyModel } from './run.ts';
import { localBtpModels } from '../btp-local.ts';
import { findCatalogueModel, isSimulatedName } from '../../core/models/catalogue.ts';

/** big-to-small's default source on real models: the catalogue's larger code model, for a smaller target. */
const defaultBigSource = (target: string): string | undefined => (target === 'qwen2.5-coder-0.5b-instruct' ? undefined : 'qwen2.5-coder-0.5b-instruct');

export { experimentSteps, type ExperimentMode, type ExperimentStep };

/** The BTP options of the flags less the models and folders, which the experiment sets up itself (servers, tiny model). */
function ownModels(o: Record<string, unknown>): Record<string, unknown> {
  const { sourceModel: _s, sourceModelUrl: _u, targetModel: _t, baseModelDir: _b, workDir: _w, ...rest } = o;
  return rest;
}

/** One campaign of the study. */
interface Variant {
  step: ExperimentStep;
  /** Which table row / bar / curve point it is. */
  group: string;
  label: string;
  value: string | number;
  method: 'baseline' | 'btp';
  /** Options on top of the step's base options. */
  over: Partial<RunOptionsInput>;
  roles?: 'big-to-small';
}

interface Outcome {
  variant: Variant;
  campaignId: string;
  summary: CampaignSummary | BtpCycleSummary;
}

/** Sizes per mode. quick: a few problems, 2 beams, a handful of training steps (minutes on 2 cores). */
function sizes(mode: ExperimentMode) {
  if (mode === 'quick') return { maxProblems: 4, maxTrainProblems: 4, numBeams: 2, iterations: 1, multiIterations: 2, maxSteps: 4, trainSetSize: 8, batchSize: 4 };
  return { maxProblems: undefined, maxTrainProblems: undefined, numBeams: 5, iterations: 1, multiIterations: 3, maxSteps: 0, trainSetSize: 256, batchSize: 8 };
}

/** The variants of one step (quick mode: fewer sweep values). */
export function stepVariants(step: ExperimentStep, mode: ExperimentMode, base: RunOptions, multiIterations = sizes(mode).multiIterations): Variant[] {
  const quick = mode === 'quick';
  const def = (group: string, label: string, value: string | number): Variant => ({ step, group, label, value, method: 'btp', over: {} });
  const v = (group: string, label: string, value: string | number, over: Partial<RunOptionsInput>): Variant => ({ step, group, label, value, method: 'btp', over });
  switch (step) {
    case 'step1':
      return [{ step, group: 'baseline', label: 'baseline', value: base.modelName, method: 'baseline', over: {} }];
    case 'step2':
      return [def('btp', 'BTP data collection (1 iteration)', 1)];
    case 'step2-finetune':
      return [v('btp+ft', 'BTP + fine-tuning', multiIterations, { iterations: multiIterations, patience: multiIterations })];
    case 'step3':
      return [
        def('sampling', base.samplingMethod, base.samplingMethod),
        v('sampling', base.samplingMethod === 'power' ? 'rank' : 'power', base.samplingMethod === 'power' ? 'rank' : 'power', { samplingMethod: base.samplingMethod === 'power' ? 'rank' : 'power' }),
        ...[0, 0.5, 1].map((a) => (a === base.p2valueAlpha ? def('p2value-alpha', `α=${a}`, a) : v('p2value-alpha', `α=${a}`, a, { p2valueAlpha: a }))),
        ...(quick ? [4, base.bufferSize] : [100, 1000, base.bufferSize]).filter((x, i, a) => a.indexOf(x) === i)
          .map((b) => (b === base.bufferSize ? def('buffer-size', `${b}`, b) : v('buffer-size', `${b}`, b, { bufferSize: b }))),
      ];
    case 'step4': {
      const alphas = quick ? [base.samplingAlpha, 2] : [0.5, 1, 2];
      const temps = quick ? [base.beamTemperature, 1.2] : [0.4, 0.8, 1.2];
      const widths = quick ? [base.numBeams, base.numBeams + 1] : [2, 5, 10];
      const uniq = (xs: number[]) => xs.filter((x, i) => xs.indexOf(x) === i).sort((a, b) => a - b);
      return [
        ...uniq(alphas).map((a) => (a === base.samplingAlpha ? def('sampling-alpha', `${a}`, a) : v('sampling-alpha', `${a}`, a, { samplingAlpha: a }))),
        ...uniq(temps).map((t) => (t === base.beamTemperature ? def('temperature', `${t}`, t) : v('temperature', `${t}`, t, { beamTemperature: t }))),
        ...uniq(widths).map((w) => (w === base.numBeams ? def('num-beams', `${w}`, w) : v('num-beams', `${w}`, w, { numBeams: w }))),
      ];
    }
    case 'big-to-small':
      return [{ step, group: 'big-to-small', label: 'big → small', value: multiIterations, method: 'btp', roles: 'big-to-small',
        over: { iterations: multiIterations, patience: multiIterations } }];
  }
}

const variantKey = (v: Variant): string => JSON.stringify([v.method, v.roles ?? '', Object.entries(v.over).sort()]);

export async function experimentCommand(argv: string[]): Promise<number> {
  const parsed = parseArgs({ args: argv, options: experimentFlags, strict: true, allowPositionals: true });
  const positionals = parsed.positionals;
  const values = parsed.values as FlagValues & { [flag: string]: string | undefined };
  const which = positionals[0];
  const mode = (values.mode ?? 'quick') as ExperimentMode;
  if (!['quick', 'single', 'full'].includes(mode)) throw new OptionsError([{ field: '--mode', message: `'${mode}' is not quick, single or full` }]);
  let steps: ExperimentStep[];
  const single = values['single-step'];
  if (mode === 'single' || single) {
    const name = single ?? which;
    if (!name || !(experimentSteps as readonly string[]).includes(name)) {
      throw new OptionsError([{ field: '--single-step', message: `name one step: ${experimentSteps.join(', ')}` }]);
    }
    steps = [name as ExperimentStep];
  } else if (which === 'all') {
    steps = [...experimentSteps];
  } else if (which && (experimentSteps as readonly string[]).includes(which)) {
    steps = [which as ExperimentStep];
  } else {
    throw new OptionsError([{ field: 'step', message: `expected one of ${[...experimentSteps, 'all'].join(', ')}; got '${which ?? ''}'` }]);
  }
  const s = sizes(mode);
  const modelName = values['model-name'] ?? 'simulated-deepseek';
  const dataset = values.dataset ?? 'mbpp';
  if (dataset !== 'mbpp' && dataset !== 'humaneval') throw new OptionsError([{ field: '--dataset', message: `'${dataset}' is not mbpp or humaneval` }]);
  const seed = num(values.seed, '--seed') ?? 40;
  const name = `btp-${steps.length > 1 ? 'all' : steps[0]}-${mode}`;
  const out = resolve(values['output-dir'] ?? join('results', 'experiments', `${name}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`));

  // Training runs one at a time per worker by default; the tiny model's one-thread trainers can share the cores.
  const trainingConcurrency = num(values['training-concurrency'], '--training-concurrency') ?? (mode === 'quick' ? 2 : 1);
  const runtime = await openRuntime(runtimeOptionsFrom(values, ['default', 'inference', 'sandbox']));
  const servers: { close(): Promise<void> }[] = [];
  let trainingWorker: { shutdown(): Promise<void> } | undefined;
  let trainingConnection: NativeConnection | undefined;
  try {
    if (!values['no-worker']) {
      const settings = temporalSettingsFromEnv({
        ...(values['temporal-address'] ? { address: values['temporal-address'] } : {}), ...(values.namespace ? { namespace: values.namespace } : {}),
      });
      const conn = runtime.mode === 'external' ? { ...settings, address: runtime.temporalAddress }
        : { address: runtime.temporalAddress, namespace: settings.namespace, tls: false };
      trainingConnection = await NativeConnection.connect(workerConnectionOptions(conn));
      trainingWorker = await startWorkers({
        connection: trainingConnection, namespace: settings.namespace, queues: ['training'], taskQueueNamespace: runtime.taskQueueNamespace,
        concurrency: { activities: { training: trainingConcurrency } },
        deps: { db: runtime.database.db, sandbox: getSharedSandbox, model: modelBackendCache(), localDataDir: runtime.dataDir },
      });
    }
    const targetName = values['target-model'] ?? modelName;
    const sourceName = values['source-model'] ?? `${modelName}-big`;
    let target: ModelSpec;
    let source: ModelSpec;
    // A catalogue model named without --model-url: real llama-servers (cli/btp-local.ts), never the simulator.
    const local = !values['model-url'] && !isSimulatedName(modelName) && findCatalogueModel(targetName) !== undefined;
    const simulated = !values['model-url'] && !local;
    let localBaseModelDir: string | undefined;
    if (local) {
      const bigSource = values['source-model'] ?? defaultBigSource(targetName);
      if (steps.includes('big-to-small') && !bigSource) {
        throw new OptionsError([{ field: '--source-model', message: `big-to-small needs a larger source model than ${targetName}: name one from the catalogue` }]);
      }
      const real = await localBtpModels(runtime.dataDir, {
        target: targetName, source: steps.includes('big-to-small') ? bigSource! : targetName, baseModelDir: values['base-model-dir'],
      });
      ({ target, source } = real);
      localBaseModelDir = real.baseModelDir;
    } else if (!simulated) {
      for (const flag of ['model-url', 'source-model-url'] as const) {
        const url = values[flag];
        if (url === undefined) continue;
        const problem = modelUrlProblem(url);
        if (problem) throw new OptionsError([{ field: `--${flag}`, message: `must be an http(s) URL: ${problem}` }]);
        trustModelUrl(url); // the CLI's own choice: the legacy EGCFG_MODEL_API_KEY may go there (core/model-servers.ts)
      }
      target = { kind: 'openai', baseUrl: values['model-url']!, model: targetName, simulated: false };
      source = { kind: 'openai', baseUrl: values['source-model-url'] ?? values['model-url']!, model: sourceName, simulated: false };
      if (!values['base-model-dir']) throw new OptionsError([{ field: '--base-model-dir', message: 'with --model-url the trainer needs the target model\'s weights folder' }]);
    } else {
      const problems = [...(await loadDataset('mbpp', { split: 'all' })), ...(dataset === 'humaneval' ? await loadDataset('humaneval', { split: 'all' }) : [])];
      const knowledge = knowledgeFor(problems);
      const skill = num(values['sim-skill'], '--sim-skill') ?? 0.5;
      const adapterSkill = num(values['sim-adapter-skill'], '--sim-adapter-skill');
      const t = await startSimulatedModelServer({ port: 0, knowledge, modelName: targetName, skill, checkLoraPath: true, ...(adapterSkill !== undefined ? { adapterSkill } : {}) });
      const b = await startSimulatedModelServer({ port: 0, knowledge, modelName: sourceName, skill: num(values['sim-source-skill'], '--sim-source-skill') ?? 0.8 });
      servers.push(t, b);
      target = { kind: 'openai', baseUrl: t.url, model: targetName, simulated: true };
      source = { kind: 'openai', baseUrl: b.url, model: sourceName, simulated: true };
      console.error(`[egcfg] Model: SIMULATED model servers (target ${targetName}, source ${sourceName}). ${SIMULATED_NOTE}.`);
    }
    const baseModelDir = values['base-model-dir'] ? resolve(values['base-model-dir']) : localBaseModelDir ?? await ensureTinyModel(runtime.dataDir);
    const base = parseRunOptions({
      // Every BTP flag (egcfg run --method btp's), then the mode's sizes where a flag does not say otherwise.
      ...ownModels(btpOptionsFrom(values)),
      dataset, method: 'btp', modelName: targetName, seed, maxProblems: num(values['max-problems'], '--max-problems') ?? s.maxProblems,
      maxTrainProblems: num(values['max-train-problems'], '--max-train-problems') ?? num(values['max-problems'], '--max-problems') ?? s.maxTrainProblems,
      numBeams: num(values['num-beams'], '--num-beams') ?? s.numBeams, samplingMethod: values['sampling-method'],
      samplingAlpha: num(values['sampling-alpha'], '--sampling-alpha'), p2valueAlpha: num(values['p2value-alpha'], '--p2value-alpha'),
      batchSize: num(values['batch-size'], '--batch-size') ?? s.batchSize, loraR: num(values['lora-r'], '--lora-r'),
      loraAlpha: num(values['lora-alpha'], '--lora-alpha'), loraDropout: num(values['lora-dropout'], '--lora-dropout'),
      learningRate: num(values['learning-rate'], '--learning-rate') ?? (simulated ? 0.01 : undefined),
      iterations: num(values.iterations, '--iterations') ?? s.iterations, maxSteps: num(values['max-steps'], '--max-steps') ?? s.maxSteps,
      trainSetSize: num(values['train-set-size'], '--train-set-size') ?? s.trainSetSize,
      saveEvery: num(values['save-every'], '--save-every') ?? (mode === 'quick' ? 2 : 10), concurrency: 8, baseModelDir,
      workDir: values['work-dir'] ? resolve(values['work-dir']) : join(runtime.dataDir, 'btp'),
      ...(simulated || local ? {} : { modelUrl: values['model-url'] }),
      // A catalogue model is asked in its own prompt format (instruct models: the chat template), as egcfg run does.
      ...(local ? { promptFormat: values['prompt-format'] ?? findCatalogueModel(targetName)!.promptFormat } : {}),
    });
    const multi = values.iterations ? base.iterations : s.multiIterations;

    // Plan: every variant of every step, identical configurations once.
    const plan = steps.flatMap((st) => stepVariants(st, mode, base, multi));
    const unique = new Map<string, Variant[]>();
    for (const v of plan) unique.set(variantKey(v), [...(unique.get(variantKey(v)) ?? []), v]);
    console.error(`[egcfg] Experiment ${name}: ${steps.join(', ')}; ${plan.length} table entries, ${unique.size} campaigns; output ${out}`);
    const ctx: ServiceContext = { db: runtime.database.db, client: runtime.client };
    const started = Date.now();
    const results = await Promise.all([...unique.values()].map(async (vs) => {
      const v = vs[0]!;
      const opts = parseRunOptions({
        ...base, ...v.over, method: v.method,
        experiment: { name, step: vs.map((x) => x.step).filter((x, i, a) => a.indexOf(x) === i).join('+'), variant: vs.map((x) => `${x.group}=${x.label}`).join('; ') },
      });
      const created = await startCampaign(ctx, opts, target, v.roles === 'big-to-small' ? { sourceModel: source } : {});
      console.error(`[egcfg]   ${created.campaignId}: ${vs.map((x) => `${x.step}/${x.group}=${x.label}`).join(', ')}`);
      const summary = await waitForCampaign(ctx, created.campaignId);
      return vs.map((variant): Outcome => ({ variant, campaignId: created.campaignId, summary }));
    }));
    const outcomes = results.flat();
    const seconds = (Date.now() - started) / 1000;
    mkdirSync(out, { recursive: true });
    const written: string[] = [];
    for (const st of steps) {
      written.push(...await writeStep(out, st, outcomes.filter((o) => o.variant.step === st), runtime.database.db, simulated));
    }
    const manifest = {
      experiment: name, mode, steps, simulated, note: simulated ? `${SIMULATED_NOTE}. LoRA training is real (tiny random-init model); pass@1 comes from the simulated server.` : null,
      target_model: targetName, source_model: source.model, dataset, seed, seconds,
      campaigns: outcomes.map((o) => ({ step: o.variant.step, group: o.variant.group, label: o.variant.label, campaign_id: o.campaignId, pass_at_1: o.summary.passAt1 })),
      files: written, database: runtime.database.location,
    };
    writeFileSync(join(out, 'experiment.json'), JSON.stringify(manifest, null, 2) + '\n');
    console.error(`\n[egcfg] ${outcomes.length} entries from ${unique.size} campaigns in ${seconds.toFixed(0)} s; tables and plots in ${out}`);
    if (simulated) console.error(`NOTE: ${SIMULATED_NOTE}.`);
    console.log(JSON.stringify({ experiment: name, mode, steps, simulated, output_dir: out, campaigns: unique.size, seconds, files: written.map((f) => join(out, f)) }));
    return 0;
  } finally {
    await trainingWorker?.shutdown();
    await trainingConnection?.close();
    for (const sv of servers) await sv.close();
    await runtime.close();
  }
}

// ---- tables ---------------------------------------------------------------------------------------------------

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '' : (100 * x).toFixed(2));
const f4 = (x: number | null | undefined) => (x === null || x === undefined ? '' : x.toFixed(4));

function csv(header: string[], rows: (string | number)[][]): string {
  const cell = (c: string | number) => (typeof c === 'number' ? String(c) : /[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

function markdown(title: string, simulated: boolean, header: string[], rows: (string | number)[][], notes: string[] = []): string {
  return [
    `# ${title}${simulated ? ' (simulated model)' : ''}`, '',
    ...(simulated ? [`> **${SIMULATED_NOTE}.** The LoRA training is real (a tiny random-init model); pass@1 comes from the simulated server.`, ''] : []),
    `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`), '', ...notes, '',
  ].join('\n');
}

async function trainingOf(db: Database, campaignId: string) {
  const runs = await db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, campaignId)).orderBy(asc(trainingRuns.iteration));
  const last = runs.at(-1);
  const m = (last?.metrics ?? {}) as { initial_eval_loss?: number; final_eval_loss?: number; steps?: number };
  return { runs: runs.length, steps: m.steps ?? null, initialEvalLoss: m.initial_eval_loss ?? null, finalEvalLoss: m.final_eval_loss ?? null, trainLoss: last?.lastLoss ?? null };
}

async function writeStep(out: string, step: ExperimentStep, outcomes: Outcome[], db: Database, simulated: boolean): Promise<string[]> {
  const files: string[] = [];
  const put = (file: string, text: string) => { writeFileSync(join(out, file), text); files.push(file); };
  const tag = simulated ? ' (simulated model)' : '';
  if (step === 'step1') {
    const header = ['model', 'dataset', 'problems', 'passed', 'pass@1 %', 'campaign'];
    const rows = outcomes.map((o) => [o.summary.model, o.summary.dataset, o.summary.problems, o.summary.passed, pct(o.summary.passAt1), o.campaignId]);
    put('step1.csv', csv(header, rows));
    put('step1.md', markdown('Step 1: baseline', simulated, header, rows));
    return files;
  }
  if (step === 'step2') {
    const header = ['candidates', 'training problems', 'problems with a passing candidate', 'mean candidate pass rate', 'mean P2Value', 'buffer size', 'pass@1 % (iteration 0)', 'pass@1 % (iteration 1)', 'campaign'];
    const rows: (string | number)[][] = [];
    for (const o of outcomes) {
      const bs = await db.select().from(beams).where(and(eq(beams.campaignId, o.campaignId), eq(beams.iteration, 1)));
      const byProblem = new Map<number, boolean>();
      for (const b of bs) byProblem.set(b.problemId, (byProblem.get(b.problemId) ?? false) || b.passRate === 1);
      const buf = await db.select({ id: bufferEntries.id }).from(bufferEntries).where(eq(bufferEntries.campaignId, o.campaignId));
      const its = (o.summary as BtpCycleSummary).iterations;
      rows.push([bs.length, byProblem.size, [...byProblem.values()].filter(Boolean).length,
        f4(bs.reduce((a, b) => a + (b.passRate ?? 0), 0) / Math.max(bs.length, 1)), f4(bs.reduce((a, b) => a + (b.p2value ?? 0), 0) / Math.max(bs.length, 1)),
        buf.length, pct(its[0]?.passAt1), pct(its[1]?.passAt1), o.campaignId]);
    }
    put('step2.csv', csv(header, rows));
    put('step2.md', markdown('Step 2: BTP (beam sampling → testing → buffer)', simulated, header, rows,
      ['Candidates are n samples with token logprobs (vLLM\'s OpenAI server has no beam search); possibility = exp(mean token logprob).']));
    return files;
  }
  if (step === 'step2-finetune' || step === 'big-to-small') {
    // The beams' pass rates explain the buffer (and what training could learn); the trainer's speed and memory its cost.
    const header = ['iteration', 'model', 'problems', 'passed', 'pass@1 %', 'buffer size', 'train loss (last step)', 'eval loss before', 'eval loss after',
      'beams', 'beams passing all tests', 'mean beam pass rate', 's/step', 'trainer peak MB', 'campaign'];
    const rows: (string | number)[][] = [];
    const series: { name: string; points: [number, number][] }[] = [];
    for (const o of outcomes) {
      const its = await db.select().from(btpIterations).where(eq(btpIterations.campaignId, o.campaignId)).orderBy(asc(btpIterations.iteration));
      const runs = await db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, o.campaignId));
      const bs = await db.select({ iteration: beams.iteration, passRate: beams.passRate }).from(beams).where(eq(beams.campaignId, o.campaignId));
      for (const it of its) {
        const r = runs.find((x) => x.iteration === it.iteration);
        const m = (r?.metrics ?? {}) as { initial_eval_loss?: number; final_eval_loss?: number; steps_per_second_this_run?: number; peak_rss_mb?: number };
        const ib = bs.filter((b) => b.iteration === it.iteration && b.passRate !== null).map((b) => b.passRate!);
        const beamCols = ib.length === 0 ? ['', '', ''] : [ib.length, ib.filter((x) => x === 1).length, f4(ib.reduce((a, b) => a + b, 0) / ib.length)];
        const secondsPerStep = m.steps_per_second_this_run ? (1 / m.steps_per_second_this_run).toFixed(1) : '';
        rows.push([it.iteration, it.model, it.problems, it.passed, pct(it.passAt1), it.bufferSize, f4(r?.lastLoss), f4(m.initial_eval_loss), f4(m.final_eval_loss),
          ...beamCols, secondsPerStep, m.peak_rss_mb ?? '', o.campaignId]);
      }
      series.push({ name: o.variant.label, points: its.map((it) => [it.iteration, 100 * it.passAt1]) });
    }
    const title = step === 'big-to-small' ? 'Big-to-small: candidates from the source model, training the target' : 'Step 2: BTP + fine-tuning';
    put(`${step}.csv`, csv(header, rows));
    put(`${step}.md`, markdown(title, simulated, header, rows, ['Iteration 0 is the base target model; iteration i evaluates the LoRA adapter trained in iteration i.']));
    put(`${step}.svg`, lineChart(`${title}${tag}`, 'iteration', 'pass@1 (%)', series));
    return files;
  }
  // step3 / step4: one row per variant; bars (step3) or curves per hyperparameter (step4)
  const header = ['group', 'value', 'pass@1 % (final)', 'pass@1 % (best)', 'pass@1 % (iteration 0)', 'buffer size', 'train loss (last step)', 'eval loss before', 'eval loss after', 'campaign'];
  const rows: (string | number)[][] = [];
  const points: { group: string; label: string; value: string | number; passAt1: number }[] = [];
  for (const o of outcomes) {
    const b = o.summary as BtpCycleSummary;
    const t = await trainingOf(db, o.campaignId);
    const bufferSize = b.iterations.at(-1)?.bufferSize ?? 0;
    rows.push([o.variant.group, o.variant.label, pct(b.passAt1), pct(b.bestPassAt1), pct(b.iterations[0]?.passAt1), bufferSize, f4(t.trainLoss), f4(t.initialEvalLoss), f4(t.finalEvalLoss), o.campaignId]);
    points.push({ group: o.variant.group, label: o.variant.label, value: o.variant.value, passAt1: 100 * b.passAt1 });
  }
  if (step === 'step3') {
    put('step3.csv', csv(header, rows));
    put('step3.md', markdown('Step 3: ablation (sampling scheme, P2Value weight, buffer size)', simulated, header, rows));
    put('step3.svg', barChart(`Step 3: ablation, pass@1 after training${tag}`, 'pass@1 (%)', points.map((p) => ({ label: `${p.group}: ${p.label}`, value: p.passAt1 }))));
  } else {
    put('step4.csv', csv(header, rows));
    put('step4.md', markdown('Step 4: hyperparameters (sampling α, temperature, beam size)', simulated, header, rows));
    for (const g of [...new Set(points.map((p) => p.group))]) {
      const ps = points.filter((p) => p.group === g).map((p): [number, number] => [Number(p.value), p.passAt1]).sort((a, b) => a[0] - b[0]);
      put(`step4-${g}.svg`, lineChart(`Step 4: ${g}${tag}`, g, 'pass@1 (%)', [{ name: g, points: ps }]));
    }
  }
  return files;
}

// ---- SVG plots (self-rendered) ----------------------------------------------------------------------------------

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A line chart: one polyline per series, y from 0 to a round maximum. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: { name: string; points: [number, number][] }[]): string {
  const W = 640, H = 400, L = 64, R = 24, T = 48, B = 56;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const x0 = xs.length ? Math.min(...xs) : 0, x1 = xs.length ? Math.max(...xs) : 1;
  const yMax = niceMax(Math.max(1, ...ys));
  const sx = (x: number) => L + (x1 === x0 ? (W - L - R) / 2 : ((x - x0) / (x1 - x0)) * (W - L - R));
  const sy = (y: number) => H - B - (y / yMax) * (H - T - B);
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/><text x="${L - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${+y.toFixed(2)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) parts.push(`<text x="${sx(x)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${+x.toFixed(3)}</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts}"/>`);
    for (const [x, y] of s.points) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${c}"><title>${esc(s.name)}: ${x} → ${y.toFixed(2)}</title></circle>`);
    parts.push(`<text x="${W - R - 4}" y="${T + 14 * i}" text-anchor="end" font-size="11" fill="${c}">${esc(s.name)}</text>`);
  });
  return svg(W, H, title, [
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`,
    ...parts,
    `<text x="${(L + W - R) / 2}" y="${H - 16}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${(T + H - B) / 2})">${esc(yLabel)}</text>`,
  ]);
}

/** A vertical bar chart with the value above each bar. */
export function barChart(title: string, yLabel: string, bars: { label: string; value: number }[]): string {
  const W = Math.max(480, 90 * bars.length + 100), H = 420, L = 64, R = 24, T = 48, B = 110;
  const yMax = niceMax(Math.max(1, ...bars.map((b) => b.value)));
  const sy = (y: number) => H - B - (y / yMax) * (H - T - B);
  const slot = (W - L - R) / Math.max(bars.length, 1);
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/><text x="${L - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${+y.toFixed(2)}</text>`);
  }
  bars.forEach((b, i) => {
    const x = L + i * slot + slot * 0.15, w = slot * 0.7;
    parts.push(`<rect x="${x.toFixed(1)}" y="${sy(b.value).toFixed(1)}" width="${w.toFixed(1)}" height="${(H - B - sy(b.value)).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"><title>${esc(b.label)}: ${b.value.toFixed(2)}</title></rect>`);
    parts.push(`<text x="${(x + w / 2).toFixed(1)}" y="${(sy(b.value) - 4).toFixed(1)}" text-anchor="middle" font-size="11">${b.value.toFixed(1)}</text>`);
    const cx = x + w / 2, cy = H - B + 12;
    parts.push(`<text x="${cx.toFixed(1)}" y="${cy}" text-anchor="end" font-size="11" transform="rotate(-35 ${cx.toFixed(1)} ${cy})">${esc(b.label)}</text>`);
  });
  return svg(W, H, title, [
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`,
    ...parts,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${(T + H - B) / 2})">${esc(yLabel)}</text>`,
  ]);
}

function svg(W: number, H: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...body, '</svg>', '',
  ].join('\n');
}
