// The stored jsonb shapes of the core tables (runs.config, samples.params, executions.per_test, results.detail,
// events.payload): each writer's row reads back as written (older rows too, nothing filled in), and a row that does
// not fit is refused with an error naming the table, the column, the row and the field.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { storedOfRow } from '../../activities/stored-row.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { runConfigSchema } from '../../campaigns/options/stored.ts';
import { baselineResultRow } from '../../core/baseline-result.ts';
import { eventOfRow, eventPayloadOf, eventPayloadSchemas } from '../../core/stored/events.ts';
import { parseStored, StoredShapeError } from '../../core/stored/parse.ts';
import { executionOfRow, perTestSchema } from '../../core/stored/per-test.ts';
import { resultDetailSchema, resultOfRow } from '../../core/stored/result-detail.ts';
import { sampleOfRow, sampleParamsSchema } from '../../core/stored/sample-params.ts';

const rt = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const model = { kind: 'openai' as const, baseUrl: 'http://127.0.0.1:1/v1', model: 'simulated-deepseek', simulated: true };

/** The StoredShapeError of `fn`, checked to name the row and fields. */
function refused(fn: () => unknown, message: RegExp, fields?: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StoredShapeError, `a StoredShapeError, got ${String(err)}`);
    assert.match(err.message, message);
    if (fields) assert.deepEqual(err.fields, fields);
    return true;
  });
}

describe('stored jsonb shapes of the core tables', { timeout: 30_000 }, () => {
  test('runs.config: a baseline run, an EG-CFG agent, BTP beams, a BTP evaluation run, a fixture; bad rows', () => {
    const at = { table: 'runs', column: 'config', id: 5 };
    const baseline = rt({ ...parseRunOptions({ dataset: 'mbpp', modelName: 'simulated-deepseek' }) });
    const rows = [
      baseline,
      { method: 'eg-cfg', t: 0.7, s: 3, d: null, k: 1, promptType: 'deepseek_instruct' },
      { method: 'eg-cfg', t: 0.7, s: 3, d: 2, k: 1, promptType: 'deepseek_instruct' },
      { numBeams: 4, temperature: 0.8 },
      { role: 'btp-evaluation', iteration: 2 },
      {},
      { ...baseline, someDroppedOption: true },
    ];
    for (const r of rows) assert.deepEqual(parseStored(runConfigSchema, r, at), r);
    refused(() => parseStored(runConfigSchema, { method: 'eg-cfg', t: 0.7, s: 3, d: 'deep', k: 1 }, at), /runs\.config of row 5 .*d:/, ['d']);
    refused(() => parseStored(runConfigSchema, { role: 'training', iteration: 1 }, at), /role/, ['role']);
    refused(() => parseStored(runConfigSchema, { ...baseline, method: 'magic' }, at), /method/);
  });

  test('samples.params: each writer as it writes today, an older baseline row, and a bad flag', () => {
    const params = { promptType: 'deepseek_instruct', promptFormat: 'raw', temperature: 0, topP: 1, maxTokens: 512, seed: 40 };
    const baseline = { ...params, simulated: true, extraction: 'fenced', preambleAdded: true, codeHadNul: true };
    const olderBaseline = { ...params, simulated: false }; // before the extraction rule was recorded
    const egcfg = rt({
      method: 'eg-cfg', agent: 't0.7-s3-d2', gamma: 0.5, seed: 41, t: 0.7, s: 3, d: 2, k: 1, promptType: 'deepseek_instruct', maxNewTokens: 512,
      model, prompts: { source: 'ours' }, fence: null, simulated: true, stopReason: 'closing_fence',
    });
    const beams = { decoding: 'n-sampling-with-logprobs', n: 4, temperature: 0.8, topP: 0.95, seed: 1, maxTokens: 256, promptType: 'deepseek_instruct',
      promptFormat: 'raw', possibility: 'mean', simulated: true };
    for (const [i, p] of [baseline, olderBaseline, egcfg, beams, { ...beams, codeHadNul: true }, {}].entries()) {
      assert.deepEqual(sampleOfRow({ id: i, params: p }).params, p);
    }
    refused(() => sampleOfRow({ id: 12, params: { ...baseline, codeHadNul: 'yes' } }), /samples\.params of row 12 .*codeHadNul/, ['codeHadNul']);
    refused(() => sampleOfRow({ id: 13, params: [] }), /samples\.params of row 13/);
    // In an activity (executeSample, executeOnce, testBeams): a non-retryable failure naming the row.
    assert.throws(() => storedOfRow(sampleParamsSchema, { seed: 'x' }, { table: 'samples', column: 'params', id: 14 }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /samples\.params of row 14 .*seed/);
      return true;
    });
  });

  test('executions.per_test: function-call verdicts, contest verdicts (skipped too), none; bad rows', () => {
    const call = { id: 'eval/0', status: 'passed', stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 3.5, cpuMs: 2, exitCode: 0 };
    const failed = { ...call, id: 'eval/1', status: 'failed', error: { type: 'AssertionError', message: '' }, trace: 'x = 1', traceTruncated: false };
    const contest = { id: 'private/0', verdict: 'wrong_answer', status: 'passed', checker: 'token 1: expected 3, got 4', stdout: '4\n', stderr: '',
      stdoutTruncated: false, stderrTruncated: false, durationMs: 12, cpuMs: 10, exitCode: 0 };
    const skipped = { ...contest, id: 'private/1', verdict: 'skipped', status: 'skipped', checker: '', stdout: '', durationMs: 0, cpuMs: 0 };
    for (const perTest of [[call, failed], [contest, skipped], []]) {
      assert.deepEqual(executionOfRow({ id: 1, perTest: rt(perTest) }).perTest, perTest);
    }
    const contestRow = parseStored(perTestSchema, [contest], { table: 'executions', column: 'per_test', id: 2 })[0]!;
    assert.ok('verdict' in contestRow && contestRow.verdict === 'wrong_answer');
    refused(() => executionOfRow({ id: 7, perTest: [call, { ...failed, status: 'fine' }] }), /executions\.per_test of row 7 .*1\.status/, ['1.status']);
    const { durationMs: _d, ...noDuration } = call;
    refused(() => executionOfRow({ id: 8, perTest: [noDuration] }), /executions\.per_test of row 8 .*0\.durationMs/, ['0.durationMs']);
    refused(() => executionOfRow({ id: 9, perTest: { tests: [] } }), /executions\.per_test of row 9/, ['(value)']);
  });

  test('results.detail: baseline (one sample, pass@k), error, EG-CFG paper/strict/default, the column default; bad rows', () => {
    const at = { table: 'results', column: 'detail', id: 3 };
    const verdict = { passed: false, status: 'failed', testsPassed: 1, testsTotal: 3 };
    const one = baselineResultRow('c1', 1, [{ sampleId: 1, verdict }]).detail;
    const passK = baselineResultRow('c1', 1, [{ sampleId: 1, verdict }, { sampleId: 2, verdict: { ...verdict, passed: true } }]).detail;
    assert.deepEqual(passK, { verdict: 'failed', testsPassed: 1, testsTotal: 3, samples: 2, correct: 1 });
    const winner = { agent: 't0.7-s3-d2', gamma: 0.5, generationId: 11 };
    const cost = { modelCalls: 12, tokenizerCalls: 3, promptTokens: 900, completionTokens: 120, sandboxRuns: 8, sandboxMs: 40.5 };
    const counts = { generations: 4, cancelled: 1, failedVisible: 2, errors: 0 };
    const paper = { note: 'MBPP: the winner on the test_list asserts (selection = scoring)', winner, cost, ...counts, selection: 'visible', asAuthors: true };
    const strict = { suite: 'eval', selected: { ...winner, byWinner: true }, winner, cost, ...counts, selection: 'eval', contaminated: true,
      visibleTests: { count: 3, canonicalFails: false } };
    const rows = [one, passK, { message: 'sandbox unavailable' }, paper, strict, { sameAs: 'strict', ...strict }, { ...paper, winner: null },
      { suite: 'eval', selected: null, winner: null, cost, ...counts, selection: 'visible' }, {}];
    for (const d of rows) assert.deepEqual(resultOfRow({ id: 3, detail: rt(d) }).detail, d);
    assert.equal(resultOfRow({ id: 3, detail: strict }).detail.visibleTests?.count, 3);
    refused(() => parseStored(resultDetailSchema, { ...strict, visibleTests: { count: '3', canonicalFails: false } }, at), /results\.detail of row 3 .*visibleTests\.count/, ['visibleTests.count']);
    refused(() => parseStored(resultDetailSchema, { ...paper, winner: { agent: 'a' } }, at), /winner\.gamma/);
    refused(() => parseStored(resultDetailSchema, { message: 42 }, at), /message/, ['message']);
    refused(() => parseStored(resultDetailSchema, null, at), /results\.detail of row 3/);
  });

  test('events.payload by kind: each kind as written, an older kind kept as written; a payload not its kind\'s is refused', () => {
    const outcome = { candidates: 8, added: 3, replaced: 1, duplicates: 2, rejected: 0, evicted: 0, skippedEmpty: 1, size: 4, meanPassRate: 0.5, meanP2value: 0.4 };
    const written: [string, Record<string, unknown>][] = [
      ['problem_finished', { problemId: 7, taskId: 'Mbpp/2', protocol: 'default', passed: true, status: 'passed' }],
      ['problem_finished', { problemId: 7, protocol: 'strict', passed: false, status: 'failed' }], // its problem row was not found
      ['campaign_status', { status: 'running' }],
      ['campaign_status', { status: 'completed', passAt1: null }],
      ['campaign_control', { action: 'pause', by: null }],
      ['campaign_control', { action: 'cancel', by: 'alice' }],
      ['campaign_failed', { reason: 'the workflow could not be started', error: 'connection refused' }],
      ['campaign_failed', { reason: 'an experiment retry found this campaign half-prepared' }],
      ['model_retry', { problemId: 7, taskId: 'Mbpp/2', attempt: 2, error: 'HTTP 503' }],
      ['model_retry', { problemId: 7, generationId: 9, attempt: 1, error: 'timeout' }],
      ['model_unavailable', { problemId: 7, taskId: 'Mbpp/2', error: 'ECONNREFUSED' }],
      ['btp_iteration', { iteration: 1, passAt1: 0.25, model: 'adapter-1' }],
      ['btp_training_retry', { iteration: 1, attempt: 2, reapedPid: null, lastStep: 0 }],
      ['btp_buffer', { iteration: 1, ...outcome }],
      ['btp_adapter_registered', { iteration: 1, adapter: 'a1', path: '/w/a1', server: 'http://127.0.0.1:8000/v1', alreadyLoaded: false }],
      ['btp_adapter_registered', { iteration: 1, adapter: 'a1', path: '/w/a1', gguf: '/w/a1.gguf', server: 'http://127.0.0.1:8001', engine: 'llama.cpp', pid: 123, alreadyLoaded: true }],
      ['experiment_campaign_prepared', { workflow: 'baselineCampaign', workflowId: 'campaign-c1', input: { campaignId: 'c1', runId: 1, model, params: {}, concurrency: 1, problemIds: [1] } }],
      ['a_kind_since_dropped', { anything: [1, 2] }],
    ];
    for (const [i, [kind, payload]] of written.entries()) {
      const row = { id: i, campaignId: 'c1', key: `k${i}`, kind, payload: rt(payload) };
      assert.deepEqual(eventOfRow(row), row, kind);
    }
    refused(() => eventPayloadOf({ id: 21, kind: 'problem_finished', payload: { taskId: 'Mbpp/2', protocol: 'default', passed: true, status: 'passed' } }),
      /events\.payload \(kind problem_finished\) of row 21 .*problemId/, ['problemId']);
    refused(() => eventPayloadOf({ id: 22, kind: 'campaign_status', payload: { state: 'running' } }), /row 22 .*status/);
    refused(() => eventPayloadOf({ id: 23, kind: 'experiment_campaign_prepared', payload: { workflow: 'nope' } }), /row 23/);
    refused(() => eventPayloadOf({ id: 24, kind: 'a_kind_since_dropped', payload: 'text' }), /row 24/);
    // update-buffer's marker, read in the activity: a non-retryable failure naming the row.
    assert.throws(() => storedOfRow(eventPayloadSchemas.btp_buffer, { iteration: 1, ...outcome, added: 'three' }, { table: 'events', column: 'payload', id: 25 }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure && err.nonRetryable);
      assert.match(err.message, /events\.payload of row 25 .*added/);
      return true;
    });
  });
});
