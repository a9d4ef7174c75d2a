// Issue 11 item 1: what stops the EG-CFG search and what scores it, per dataset and protocol, as the authors' session
// manager does (HumanEval: the official check(); MBPP: the three test_list asserts), and the audit of HumanEval's
// docstring-derived visible tests (10 tasks have none, 4 have asserts the canonical solution fails).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { summaryMarkdown } from '../../cli/output.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { auditVisibleTests, paperSelectionMatches, selectionSuite } from '../../core/egcfg/protocol.ts';
import { runOptionsSchema } from '../../campaigns/options.ts';

describe('EG-CFG selection per protocol', { timeout: 60_000 }, () => {
  it('paper: HumanEval stops on check(), MBPP on test_list (= visible), CodeContests on private + generated tests', () => {
    assert.equal(selectionSuite('humaneval', 'paper'), 'eval');
    assert.equal(selectionSuite('humaneval-et', 'paper'), 'eval');
    assert.equal(selectionSuite('mbpp', 'paper'), 'visible');
    assert.equal(selectionSuite('mbpp-et', 'paper'), 'visible');
    assert.equal(selectionSuite('codecontests', 'paper'), 'eval-paper');
  });
  it('strict: every dataset stops on its visible tests', () => {
    for (const d of ['mbpp', 'mbpp-et', 'humaneval', 'humaneval-et', 'codecontests']) assert.equal(selectionSuite(d, 'strict'), 'visible');
  });
  it('a paper verdict is the authors\' only when the search used their selection suite', () => {
    assert.equal(paperSelectionMatches('mbpp', 'visible'), true); // MBPP: visible = evaluation asserts
    assert.equal(paperSelectionMatches('humaneval', 'visible'), false); // strict search: docstring examples
    assert.equal(paperSelectionMatches('humaneval', 'eval'), true);
    assert.equal(paperSelectionMatches('codecontests', 'eval-paper'), true);
  });
  it('the option defaults to strict and accepts paper', () => {
    const base = { dataset: 'humaneval', method: 'eg-cfg', modelName: 'm' };
    assert.equal(runOptionsSchema.parse(base).protocol, 'strict');
    assert.equal(runOptionsSchema.parse({ ...base, protocol: 'paper' }).protocol, 'paper');
    assert.equal(runOptionsSchema.safeParse({ ...base, protocol: 'loose' }).success, false);
  });
});

describe('HumanEval visible-test audit', { timeout: 120_000 }, () => {
  it('counts problems without visible tests and with wrong ones (hand-made rows)', () => {
    const a = auditVisibleTests([
      { taskId: 'A', visibleTests: 0, canonicalFailsVisible: false },
      { taskId: 'B', visibleTests: 2, canonicalFailsVisible: true },
      { taskId: 'C', visibleTests: 3, canonicalFailsVisible: false },
    ]);
    assert.deepEqual(a, { problems: 3, noVisibleTests: 1, wrongVisibleAsserts: 1, noVisibleTestsTasks: ['A'], wrongVisibleAssertsTasks: ['B'] });
  });

  it('the shipped HumanEval: 10 tasks without docstring examples, 4 whose examples the canonical solution fails', async () => {
    const ps = await loadDataset('humaneval');
    const none = ps.filter((p) => p.visibleTests.length === 0).map((p) => p.taskId);
    assert.equal(none.length, 10, none.join(', '));
    // One Python process runs each canonical solution with its visible asserts (what the sandbox does per problem).
    const script = [
      'import json, sys',
      'bad = []',
      'for p in json.load(sys.stdin):',
      '    try:',
      '        ns = {}',
      "        exec(p['code'] + '\\n' + '\\n'.join(p['tests']), ns)",
      '    except BaseException:',
      "        bad.append(p['id'])",
      'print(json.dumps(bad))',
    ].join('\n');
    const input = JSON.stringify(ps.filter((p) => p.visibleTests.length > 0).map((p) => ({ id: p.taskId, code: p.canonicalSolution, tests: p.visibleTests })));
    const r = spawnSync('python3', ['-c', script], { input, encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, r.stderr);
    const wrong = JSON.parse(r.stdout) as string[];
    assert.deepEqual(wrong, ['HumanEval/47', 'HumanEval/116', 'HumanEval/130', 'HumanEval/148']);
    const audit = auditVisibleTests(ps.map((p) => ({ taskId: p.taskId, visibleTests: p.visibleTests.length, canonicalFailsVisible: wrong.includes(p.taskId) })));
    assert.equal(audit.noVisibleTests, 10);
    assert.equal(audit.wrongVisibleAsserts, 4);
  });

  it('summary.md reports both counts', () => {
    const md = summaryMarkdown({
      campaign_id: 'c', dataset: 'humaneval', method: 'eg-cfg', model: 'm', simulated: false, problems: 164, passed: 100, pass_at_1: 100 / 164,
      output_dir: '/o', database: 'db',
      visible_tests: { problems: 164, no_visible_tests: 10, wrong_visible_asserts: 4, no_visible_tests_tasks: [], wrong_visible_asserts_tasks: [] },
    });
    assert.match(md, /10 of 164 problems have none, 4 have asserts the canonical solution fails/);
  });
});
