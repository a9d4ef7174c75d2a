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
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { startSimulatedModelServer } from '../../activities/model/simulated-server.ts';
import { getSharedSandbox } from '../../activities/sandbox/index.ts';
import { OptionsError, parseRunOptions, type RunOptions, type RunOptionsInput } from '../../campaigns/options.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import type { ModelSpec } from '../../core/contracts.ts';
import type { ExperimentEntry, ExperimentReportMeta } from '../../core/experiment-contracts.ts';
import { runExperimentWorkflow } from '../experiment-workflow.ts';
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
    const entries: ExperimentEntry[] = [...unique.values()].map((vs) => ({
      options: { ...base, ...vs[0]!.over, method: vs[0]!.method }, target,
      ...(vs[0]!.roles === 'big-to-small' ? { source } : {}), variants: vs,
    }));
    const meta: ExperimentReportMeta = {
      name, mode, steps, simulated, targetModel: targetName, sourceModel: source.model, dataset, seed, outputDir: out, database: runtime.database.location,
    };
    const result = await runExperimentWorkflow(runtime.client, { meta, entries });
    console.error(`\n[egcfg] ${plan.length} entries from ${result.campaigns} campaigns in ${result.seconds.toFixed(0)} s; tables and plots in ${out}`);
    if (simulated) console.error(`NOTE: ${SIMULATED_NOTE}.`);
    console.log(JSON.stringify({ experiment: name, mode, steps, simulated, output_dir: out, campaigns: result.campaigns, seconds: result.seconds, files: result.files.map((f) => join(out, f)) }));
    return 0;
  } finally {
    await trainingWorker?.shutdown();
    await trainingConnection?.close();
    for (const sv of servers) await sv.close();
    await runtime.close();
  }
}
