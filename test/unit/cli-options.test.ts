// The CLI's flags and help are derived from the option schemas (campaigns/options/): every option with a CLI has a
// flag, every flag of the old hand-written tables is still there under the same name, the help shows each option's
// help, bounds and default, and a flag's text becomes the option the old code made of it.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { campaignOptionsSchema, formFields, methodFields, OptionsError, parseRunOptions, runOptionsSchema } from '../../campaigns/options.ts';
import { cliRegistry, kebab } from '../../campaigns/options/field.ts';
import { optionsFromFlags } from '../../cli/flags.ts';
import { buildProgram } from '../../cli/program.ts';
import { evaluateFlags, experimentFlags, runFlags, runGroups } from '../../cli/spec.ts';

// The flag tables of cli/commands/run.ts and experiment.ts before they were derived (issue 14): extend, never rename.
const oldShared = ['dataset', 'dataset-file', 'split', 'max-problems', 'subset-seed', 'samples-per-problem', 'seed', 'output-dir', 'concurrency',
  'temporal-address', 'namespace', 'database-url', 'data-dir', 'no-worker', 'quiet'];
const oldBtp = ['num-beams', 'beam-temperature', 'p2value-alpha', 'possibility', 'sampling-method', 'sampling-alpha', 'buffer-size', 'eviction',
  'train-set-size', 'train-prompt', 'batch-size', 'lora-r', 'lora-alpha', 'lora-dropout', 'learning-rate', 'epochs', 'max-steps', 'iterations',
  'patience', 'source-model', 'source-model-url', 'target-model', 'base-model-dir', 'work-dir', 'max-train-problems', 'trainer-device',
  'sim-adapter-skill', 'sim-source-skill'];
const oldRun = [...oldShared, 'method', 'model-name', 'model-url', 'temperature', 'top-p', 'max-tokens', 'prompt-type', 'prompt-format', 'model-backend',
  'simulated', 'sim-skill', 'gamma', 'num-candidates', 'horizon', 'grid', 'max-agents', 'top-logprobs', 'max-new-tokens', 'retries', 'no-early-stop',
  'trace-max-chars', 'reasoning-max-tokens', 'baseline-campaign', 'protocol', 'candidate-tokens', ...oldBtp];
const oldExperiment = ['mode', 'single-step', 'model-name', 'model-url', 'dataset', 'output-dir', 'seed', 'sampling-method', 'sampling-alpha',
  'p2value-alpha', 'num-beams', 'batch-size', 'lora-r', 'lora-alpha', 'lora-dropout', 'learning-rate', 'max-problems', 'max-train-problems',
  'iterations', 'max-steps', 'source-model', 'source-model-url', 'target-model', 'base-model-dir', 'sim-skill', 'sim-adapter-skill',
  'sim-source-skill', 'temporal-address', 'namespace', 'database-url', 'data-dir', 'no-worker', 'training-concurrency'];

const helpOf = (...path: string[]): string => {
  let cmd = buildProgram(() => {});
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
  return cmd.helpInformation().replace(/\s+/g, ' '); // the help is wrapped to the terminal: compare words
};

describe('CLI flags derived from the option schemas', { timeout: 30_000 }, () => {
  test('every flag of the old tables keeps its name; experiment takes every BTP flag of run', () => {
    for (const f of oldRun) assert.ok(f in runFlags, `run --${f}`);
    for (const f of [...oldShared, 'samples', 'missing']) assert.ok(f in evaluateFlags, `evaluate --${f}`);
    for (const f of oldExperiment) assert.ok(f in experimentFlags, `experiment --${f}`);
    for (const f of Object.keys(runGroups.btp)) assert.ok(f in experimentFlags, `experiment takes the BTP flag --${f}`);
    assert.ok('beam-temperature' in experimentFlags);
  });

  test('every option with a CLI has exactly one run flag, named from its field and set into that field', () => {
    const byField = new Map(Object.entries(runFlags).filter(([, d]) => d.field).map(([flag, d]) => [d.field!, flag]));
    for (const [field, schema] of Object.entries(runOptionsSchema.shape)) {
      const meta = cliRegistry.get(schema);
      if (meta?.cli === false || ['missing', 'samplesFile'].includes(field)) { assert.equal(byField.has(field), false, field); continue; }
      assert.ok(cliRegistry.has(schema) && schema.description, `${field} is declared with opt() (help + CLI meta)`);
      assert.equal(byField.get(field), meta?.flag ?? kebab(field), field);
    }
  });

  test('each method module holds its own fields, and the union on method takes them', () => {
    assert.ok('numBeams' in methodFields.btp && !('numBeams' in methodFields['eg-cfg']));
    assert.ok('gammas' in methodFields['eg-cfg'] && 'samplesPerProblem' in methodFields.baseline);
    const btp = campaignOptionsSchema.parse({ method: 'btp', dataset: 'mbpp', modelName: 'm', beamTemperature: 0.5 });
    assert.equal(btp.method === 'btp' && btp.beamTemperature, 0.5);
    assert.equal(campaignOptionsSchema.safeParse({ method: 'nope', dataset: 'mbpp', modelName: 'm' }).success, false);
    const egcfg = campaignOptionsSchema.parse({ method: 'eg-cfg', dataset: 'mbpp', modelName: 'm' });
    assert.deepEqual(egcfg.method === 'eg-cfg' && egcfg.gammas, [0, 0.5, 1, 3]);
  });

  test("the dashboard form's fields come from the modules' form marks: the same fields as the old hand-written lists", () => {
    const f = formFields();
    const same = (a: string[], b: string[]) => assert.deepEqual([...a].sort(), [...b].sort());
    same(f.common, ['dataset', 'method', 'modelName', 'modelUrl', 'maxProblems', 'concurrency', 'seed', 'temperature', 'promptType']);
    same(f.methods.baseline, ['topP', 'maxTokens']);
    same(f.methods['eg-cfg'], ['gammas', 'numCandidates', 'horizon', 'maxAgents', 'topLogprobs', 'maxNewTokens', 'retries', 'earlyStop', 'grid', 'baselineCampaign']);
    same(f.methods.btp, ['iterations', 'numBeams', 'beamTemperature', 'trainSetSize', 'bufferSize', 'p2valueAlpha', 'samplingMethod', 'trainDataset',
      'maxTrainProblems', 'loraR', 'learningRate', 'epochs', 'baseModelDir', 'workDir', 'sourceModel', 'targetModel']);
  });

  test("run's help shows each option's help, bounds and default, under its method's heading", () => {
    const help = helpOf('run');
    assert.match(help, /EG-CFG options \(--method eg-cfg\):/);
    assert.match(help, /BTP options \(--method btp/);
    assert.match(help, /--num-beams <N> candidates per training problem per iteration/);
    assert.match(help, /--lora-dropout <P> LoRA dropout \[0\.\.1\) \(default: 0\.05\)/);
    assert.match(help, /--num-candidates <S> candidates s sampled per line \[1\.\.64\] \(default: 3\)/);
    assert.match(help, /--gamma <G,G,\.\.\.> CFG strengths tried per agent, in order \(default: 0,0\.5,1,3\)/);
    assert.match(help, /--no-early-stop/);
    for (const flag of oldRun) assert.ok(help.includes(`--${flag}`), `run --help lists --${flag}`);
    const experiment = helpOf('experiment');
    assert.match(experiment, /--beam-temperature <T>/);
    assert.match(experiment, /--mode <MODE>/);
    assert.match(helpOf('models', 'pull'), /--dtype <float32\|bfloat16\|float16>/);
  });

  test('flag text becomes the option the old hand-written code made of it', () => {
    const values = { gamma: '0,1.5', horizon: 'inf', 'no-early-stop': true, 'max-agents': '2', grid: 'data/egcfg/quick_grid.json', protocol: 'paper' };
    assert.deepEqual(optionsFromFlags(values, runGroups.egcfg),
      { gammas: [0, 1.5], horizon: null, earlyStop: false, maxAgents: 2, grid: resolve('data/egcfg/quick_grid.json'), protocol: 'paper' });
    assert.deepEqual(optionsFromFlags({ 'dataset-file': ['a.parquet', 'b.parquet'], 'max-problems': '3' }, runGroups.common), { datasetFile: 'a.parquet,b.parquet', maxProblems: 3 });
    assert.deepEqual(optionsFromFlags({ 'train-splits': 'train, test', 'base-model-dir': 'm' }, runGroups.btp), { trainSplits: ['train', 'test'], baseModelDir: resolve('m') });
    assert.deepEqual(optionsFromFlags({}, runGroups.btp), {}, 'an absent flag leaves the default');
    assert.throws(() => optionsFromFlags({ gamma: '0,abc' }, runGroups.egcfg), (e: unknown) => e instanceof OptionsError && /--gamma: '0,abc' is not a comma-separated list/.test(e.message));
    assert.throws(() => optionsFromFlags({ 'num-beams': 'five' }, runGroups.btp), /--num-beams: 'five' is not a number/);
    const opts = parseRunOptions({ dataset: 'mbpp', modelName: 'm', method: 'btp', ...optionsFromFlags({ 'beam-temperature': '0.5' }, runGroups.btp) });
    assert.equal(opts.beamTemperature, 0.5);
  });

  test('the completion script lists every command and subcommand with its flags', () => {
    let printed = '';
    const program = buildProgram(() => {}, (t) => { printed = t; });
    program.exitOverride().parse(['completion', 'bash'], { from: 'user' });
    assert.match(printed, /complete -o default -F _egcfg_complete egcfg/);
    assert.match(printed, /"models pull"\) words="--verify --hf --dtype --help -h"/);
    assert.match(printed, /"run"\) words="[^"]*--beam-temperature[^"]*"/);
    assert.match(printed, /"experiment"\) words="[^"]*--beam-temperature[^"]*"/);
    for (const c of ['run', 'evaluate', 'experiment', 'models', 'down', 'show', 'sandbox', 'worker', 'serve', 'tokens', 'campaigns', 'completion']) {
      assert.ok(printed.includes(`"${c}") path="${c}"`), c);
    }
  });
});
