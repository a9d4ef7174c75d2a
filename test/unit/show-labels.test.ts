// Issue 11 item 12: `egcfg show` says what a run checked; a traced candidate run that merely finished is not "passed".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { executionLabel, generationVerdictLabel, traceRunLabel } from '../../cli/show-labels.ts';

describe('egcfg show labels', { timeout: 60_000 }, () => {
  it('a traced run that finished says it only ran without an exception, never "passed"', () => {
    const l = traceRunLabel('passed');
    assert.doesNotMatch(l, /^passed/);
    assert.match(l, /ran without an exception/);
    assert.match(l, /no expected value checked/);
    assert.match(traceRunLabel('error'), /raised an exception/);
    assert.match(traceRunLabel('timeout'), /left out of the signal/);
  });
  it('a generation verdict names the suite it was decided on', () => {
    assert.equal(generationVerdictLabel('passed', undefined), 'PASSED the visible tests');
    assert.match(generationVerdictLabel('passed', 'eval'), /PASSED the evaluation tests .*check\(\)/);
    assert.equal(generationVerdictLabel('failed', 'visible'), 'FAILED the visible tests');
    assert.equal(generationVerdictLabel('cancelled', undefined), 'CANCELLED');
  });
  it('an execution says how many asserts of which suite', () => {
    assert.equal(executionLabel({ suite: 'visible', passed: true, testsPassed: 3, testsTotal: 3, status: 'passed' }), 'visible: passed 3/3 asserts of the visible tests (passed)');
    // Contest judging (CodeContests): tests, not asserts, and the judge's verdict.
    assert.equal(executionLabel({ suite: 'eval', passed: false, testsPassed: 1, testsTotal: 3, status: 'wrong_answer' }), 'eval: failed 1/3 stdin/stdout tests of the private + generated tests (wrong answer)');
    assert.equal(executionLabel({ suite: 'visible', passed: true, testsPassed: 1, testsTotal: 1, status: 'accepted' }), 'visible: passed 1/1 stdin/stdout tests of the public tests (accepted)');
    assert.equal(executionLabel({ suite: 'eval-paper', passed: false, testsPassed: 0, testsTotal: 3, status: 'time_limit' }), 'eval-paper: failed 0/3 stdin/stdout tests of the private + generated tests (time limit)');
  });
});
