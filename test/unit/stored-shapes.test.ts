// The stored jsonb shapes (core/stored/): what the activities write parses back as it was written, and a row that
// does not fit fails with an error naming the table, the row and the field, non-retryably inside an activity.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { storedOfRow } from '../../activities/stored-row.ts';
import { applySignal, startGeneration } from '../../core/egcfg/generation.ts';
import { campaignConfigSchema, campaignModelSpecs } from '../../campaigns/options/stored.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { TrainConfigSchema } from '../../core/btp/trainer-protocol.ts';
import { iterationDetailSchema, trainingMetricsSchema, trainingRunConfigSchema } from '../../core/stored/btp.ts';
import { agentConfigStoredSchema, stepTotalsSchema } from '../../core/stored/egcfg-generation.ts';
import { prepareSummarySchema, stepSummarySchema, stepTokensSchema, storedStateSchema } from '../../core/stored/egcfg-step.ts';
import { campaignLaunchSchema } from '../../core/stored/experiment-launch.ts';
import { parseStored, StoredShapeError } from '../../core/stored/parse.ts';

const at = { table: 'egcfg_steps', column: 'state', id: 42 };
const model = { kind: 'openai' as const, baseUrl: 'http://127.0.0.1:1/v1', model: 'simulated-deepseek', simulated: true };

describe('stored jsonb shapes', { timeout: 30_000 }, () => {
  test('a step state round-trips through JSON and its schema unchanged', () => {
    const spec = { entryPoint: 'add', gamma: 3, k: 1, maxNewTokens: 64 };
    const gen = applySignal(spec, startGeneration('```python\n', 'def add('), { signal: '# Candidate <1>', uniqueExecutables: ['def add(a, b):\n    return a + b\n'] });
    const state = { gen, ids: [1, 2, 3] };
    assert.deepEqual(parseStored(storedStateSchema, JSON.parse(JSON.stringify(state)), at), state);
    const ended = { gen: { ...gen, end: { reason: 'early_stop', code: 'x', earlyStop: 'loop', side: 'cond' } }, ids: [] };
    assert.deepEqual(parseStored(storedStateSchema, ended, at), ended);
  });

  test('a state that is not one names the table, the row and the field', () => {
    const gen = startGeneration('p', 'def f(');
    const { generated: _dropped, ...rest } = gen;
    assert.throws(() => parseStored(storedStateSchema, { gen: rest, ids: [] }, at), (err: unknown) => {
      assert.ok(err instanceof StoredShapeError);
      assert.match(err.message, /egcfg_steps\.state of row 42/);
      assert.deepEqual(err.fields, ['gen.generated']);
      return true;
    });
    assert.throws(() => parseStored(storedStateSchema, { gen, ids: ['x'] }, at), /ids\.0/);
  });

  test('inside an activity a bad row is a non-retryable ApplicationFailure with the row in its details', () => {
    assert.throws(() => storedOfRow(stepSummarySchema, { next: 'fly' }, { table: 'egcfg_steps', column: 'summary', id: 7 }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.nonRetryable, true);
      assert.equal(err.type, 'StoredShapeError');
      assert.match(err.message, /egcfg_steps\.summary of row 7 .*seq/);
      assert.deepEqual(err.details?.[0], { table: 'egcfg_steps', column: 'summary', id: 7, fields: ['seq', 'next'] });
      return true;
    });
  });

  test('a summary keeps its step facts; a prepare summary needs accepted and needAnother', () => {
    const s = { seq: 3, next: 'build_signal', side: 'uncond', kept: 2, contextOverflow: 'maximum context length' };
    assert.deepEqual(parseStored(stepSummarySchema, s, at), s);
    assert.throws(() => parseStored(prepareSummarySchema, s, at), /accepted/);
    assert.equal(parseStored(prepareSummarySchema, { ...s, accepted: 2, needAnother: false }, at).accepted, 2);
  });

  test('a generation config as egcfgBegin writes it, older rows without the prompt fields, and a bad model', () => {
    const cfg = {
      t: 0.7, s: 3, d: null, k: 1, promptType: 'deepseek_instruct', maxNewTokens: 512, topLogprobs: 5, reasoningMaxTokens: 2048,
      earlyStop: true, wallCapMs: 2_400_000, traceTimeoutMs: 5000, traceMaxChars: 100_000, candidateMaxTokens: 512, model,
      prompts: { source: 'ours' }, fence: null, forcedName: 'add', traceFormat: 'authors',
    };
    assert.deepEqual(parseStored(agentConfigStoredSchema, cfg, at), cfg);
    const { prompts: _p, fence: _f, forcedName: _n, traceFormat: _t, candidateMaxTokens: _c, ...older } = cfg;
    assert.deepEqual(parseStored(agentConfigStoredSchema, older, at), older);
    assert.throws(() => parseStored(agentConfigStoredSchema, { ...cfg, model: { kind: 'openai', model: 'm' } }, at), /model\.baseUrl/);
  });

  test('a cost without its phases is refused', () => {
    assert.throws(() => parseStored(stepTotalsSchema, { steps: 1, modelCalls: 2 }, at), StoredShapeError);
  });

  test('a recorded experiment launch: each workflow with its input shape', () => {
    const baseline = { workflow: 'baselineCampaign', workflowId: 'campaign-c1', input: { campaignId: 'c1', runId: 1, model, params: { seed: 40 }, concurrency: 2 } };
    assert.deepEqual(parseStored(campaignLaunchSchema, baseline, at), baseline);
    const btp = { workflow: 'btpCycle', workflowId: 'campaign-c2', input: { campaignId: 'c2', runId: 1, trainProblemIds: [1], evalProblemIds: [2], sourceModel: model, targetModel: model, params: {} } };
    assert.throws(() => parseStored(campaignLaunchSchema, btp, at), /input: not a btpCycle input/);
    // With its workDir: the id lists (a launch recorded before issue 16) or their counts (ids read in pages); neither is refused.
    const listed = { ...btp, input: { ...btp.input, workDir: '/w' } };
    assert.deepEqual(parseStored(campaignLaunchSchema, listed, at), listed);
    const { trainProblemIds: _t, evalProblemIds: _e, ...noIds } = listed.input;
    const paged = { ...btp, input: { ...noIds, trainProblemsTotal: 1, evalProblemsTotal: 1 } };
    assert.deepEqual(parseStored(campaignLaunchSchema, paged, at), paged);
    assert.throws(() => parseStored(campaignLaunchSchema, { ...btp, input: noIds }, at), /input: not a btpCycle input/);
    const egcfg = { workflow: 'egcfgCampaign', workflowId: 'campaign-c3', input: { campaignId: 'c3', model, agents: [{ name: 'a', runId: 1 }], params: {}, concurrency: 1 } };
    assert.throws(() => parseStored(campaignLaunchSchema, egcfg, at), /input: not a egcfgCampaign input/);
    for (const input of [{ ...egcfg.input, problemIds: [1] }, { ...egcfg.input, problemsTotal: 2 }]) {
      assert.deepEqual(parseStored(campaignLaunchSchema, { ...egcfg, input }, at), { ...egcfg, input });
    }
    assert.throws(() => parseStored(campaignLaunchSchema, { ...baseline, workflow: 'nope' }, at), /workflow/);
  });

  test('campaigns.config: each method as written, the BTP evaluation label, older rows, no defaults filled in, a bad option', () => {
    const rt = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
    const cat = { table: 'campaigns', column: 'config', id: 'c1' };
    const base = rt({ ...parseRunOptions({ dataset: 'mbpp', modelName: 'simulated-deepseek' }), model });
    assert.deepEqual(parseStored(campaignConfigSchema, base, cat), base);
    const replay = { ...base, samplesPerProblem: 2, replayCoverage: { covered: 3, selected: 4, missing: 'skip' } };
    assert.equal(parseStored(campaignConfigSchema, replay, cat).samplesPerProblem, 2);
    const egcfg = rt({ ...parseRunOptions({ dataset: 'humaneval', method: 'eg-cfg', modelName: 'simulated-deepseek', protocol: 'paper' }),
      promptFormat: 'raw', model, agents: ['t0.7-s3-dinf-k1-deepseek_instruct'], prompts: { source: 'ours' } });
    const e = parseStored(campaignConfigSchema, egcfg, cat);
    assert.deepEqual(e, egcfg);
    assert.equal(e.protocol, 'paper');
    const btp = rt({ ...parseRunOptions({ dataset: 'mbpp', method: 'btp', modelName: 'simulated-small', workDir: '/tmp/w' }),
      sourceModelSpec: model, targetModelSpec: { ...model, model: 'simulated-small' }, trainProblems: 10, decoding: 'n-sampling-with-logprobs' });
    assert.deepEqual(parseStored(campaignConfigSchema, btp, cat), btp);
    assert.deepEqual(campaignModelSpecs(parseStored(campaignConfigSchema, btp, cat)).map((m) => m.model), ['simulated-deepseek', 'simulated-small']);
    const evaluation = { role: 'btp-evaluation', parentCampaignId: 'c2', iteration: 1, model: 'adapter-1' };
    assert.deepEqual(parseStored(campaignConfigSchema, evaluation, cat), evaluation);
    assert.deepEqual(campaignModelSpecs(parseStored(campaignConfigSchema, evaluation, cat)), []);
    // An older row (fewer options; one since dropped) reads back as written: no default is filled in.
    const older = { dataset: 'mbpp', method: 'baseline', modelName: 'm', seed: 40, someDroppedOption: 1 };
    assert.deepEqual(parseStored(campaignConfigSchema, older, cat), older);
    assert.deepEqual(parseStored(campaignConfigSchema, {}, cat), {});
    assert.throws(() => parseStored(campaignConfigSchema, { ...egcfg, protocol: 'lenient' }, cat), /campaigns\.config of row c1 .*protocol/);
    assert.throws(() => parseStored(campaignConfigSchema, { ...base, model: { kind: 'openai' } }, cat), /model/);
    assert.throws(() => parseStored(campaignConfigSchema, { ...evaluation, iteration: 'one' }, cat), /iteration/);
  });

  test('training_runs.config and .metrics, btp_iterations.detail: as written, older rows, bad rows', () => {
    const tat = { table: 'training_runs', column: 'config', id: 3 };
    const trainer = TrainConfigSchema.parse({ baseModel: '/m', data: '/o/train.jsonl', output: '/o', lr: 1e-3 });
    const drawn = [{ problemId: 1, codeHash: 'h', p2value: 0.75, bufferEntryId: 9 }, { problemId: 2, codeHash: 'g', p2value: 0.5, bufferEntryId: null }];
    const cfg = { trainer, debugStepSleep: 0.1, format: 'compact', sampling: { kind: 'rank', alpha: 1, seed: '40/c/1', k: 4, replacement: true, bufferSize: 3, drawn } };
    assert.deepEqual(parseStored(trainingRunConfigSchema, cfg, tat), cfg);
    const older = { trainer: { ...trainer, droppedOption: true } };
    assert.deepEqual(parseStored(trainingRunConfigSchema, older, tat), older);
    assert.throws(() => parseStored(trainingRunConfigSchema, { trainer: { lr: 1 } }, tat), /trainer\.baseModel/);
    assert.throws(() => parseStored(trainingRunConfigSchema, { ...cfg, sampling: { drawn: [{ problemId: 1 }] } }, tat), /sampling\.drawn\.0\.codeHash/);
    const metrics = { steps: 4, losses: [2, 1.5], final_loss: 1.5, initial_eval_loss: 2.4, final_eval_loss: null, resumed_from_step: null, versions: { torch: '2' } };
    assert.deepEqual(parseStored(trainingMetricsSchema, metrics, tat), metrics);
    assert.deepEqual(parseStored(trainingMetricsSchema, {}, tat), {});
    assert.throws(() => parseStored(trainingMetricsSchema, { losses: ['x'] }, tat), /losses\.0/);
    const detail = { role: 'adapter', sampledWith: 'sim', candidatesPassed: 3, buffer: { added: 1 }, trainingExamples: 4, trainSteps: 4, finalLoss: 1.2,
      initialEvalLoss: null, finalEvalLoss: 1.1, resumedFromStep: null, adapterPath: '/a', servedAt: 'http://x', evalCampaignId: 'c-eval1' };
    assert.deepEqual(parseStored(iterationDetailSchema, detail, tat), detail);
    assert.deepEqual(parseStored(iterationDetailSchema, { role: 'base target model', evalCampaignId: 'c-eval0' }, tat), { role: 'base target model', evalCampaignId: 'c-eval0' });
    assert.throws(() => parseStored(iterationDetailSchema, { candidatesPassed: '3' }, tat), /candidatesPassed/);
  });

  test('egcfg_steps.tokens: token steps (endpoint and local path), a γ = 1 line, null, and bad rows', () => {
    const tok = { id: 5, text: ' add', guided: true, changed: false, uncond: [[5, -0.1], [6, -2]], cond: null };
    assert.deepEqual(parseStored(stepTokensSchema, [tok], at), [tok]);
    const local = { ...tok, cond: [[5, -0.2]], uncondArgmax: 5, condArgmax: 5 };
    assert.deepEqual(parseStored(stepTokensSchema, [local], at), [local]);
    const line = { line: '    return a + b\n', guided: false, completionTokens: 7, appendedTokens: 6, retokenized: true };
    assert.deepEqual(parseStored(stepTokensSchema, [line, { line: '\n', guided: false, completionTokens: 1 }], at), [line, { line: '\n', guided: false, completionTokens: 1 }]);
    assert.equal(parseStored(stepTokensSchema, null, at), null);
    assert.throws(() => parseStored(stepTokensSchema, [{ ...tok, uncond: [[5]] }], at), StoredShapeError);
    assert.throws(() => parseStored(stepTokensSchema, [{ text: 'x' }], at), StoredShapeError);
  });
});
