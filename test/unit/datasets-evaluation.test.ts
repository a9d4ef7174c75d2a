import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { buildEvaluation, invocationOf, loadDataset, visibleInvocations, type Problem } from '../../core/datasets/index.ts';

const byId = async (ds: Problem['dataset'], id: string): Promise<Problem> => (await loadDataset(ds, { split: 'all' })).find((p) => p.taskId === id)!;

describe('buildEvaluation', { timeout: 60_000 }, () => {
  it('MBPP: program = code + test_setup_code; one test per assert', async () => {
    const p = await byId('mbpp', '367');
    const ev = buildEvaluation(p, 'class Node: pass\ndef is_tree_balanced(root): return True\n', 'eval');
    assert.ok(ev.program.startsWith('class Node: pass\ndef is_tree_balanced(root): return True\n'));
    assert.ok(ev.program.includes('root = Node(1)'));
    assert.ok(!ev.program.includes('\r'));
    assert.deepEqual(ev.tests.map((t) => t.id), ['eval/0', 'eval/1', 'eval/2']);
    assert.deepEqual(ev.tests.map((t) => t.code), p.raw.test_list);
    const plain = await byId('mbpp', '11');
    assert.equal(buildEvaluation(plain, 'CODE', 'visible').program, 'CODE');
    assert.deepEqual(buildEvaluation(plain, 'CODE', 'visible').tests, (plain.raw.test_list as string[]).map((code, i) => ({ id: `visible/${i}`, code })));
    assert.throws(() => buildEvaluation(plain, 'CODE', 'et'), { message: 'mbpp 11: no ET tests (use the mbpp-et or humaneval-et dataset)' });
  });

  it('MBPP-ET: visible = 3 asserts, eval and et = all 102', async () => {
    const p = (await loadDataset('mbpp-et'))[0]!;
    assert.equal(buildEvaluation(p, 'x', 'visible').tests.length, 3);
    assert.equal(buildEvaluation(p, 'x', 'eval').tests.length, 102);
    assert.equal(buildEvaluation(p, 'x', 'et').tests.length, 102);
  });

  it('HumanEval: program = the code, eval = the check program as ONE test; visible = docstring asserts', async () => {
    const p = await byId('humaneval', 'HumanEval/0');
    const ev = buildEvaluation(p, p.canonicalSolution, 'eval');
    assert.equal(ev.program, p.canonicalSolution);
    assert.equal(ev.tests.length, 1);
    assert.equal(ev.tests[0]!.id, 'eval/check');
    assert.match(ev.tests[0]!.code, /def check\(candidate\):[\s\S]*\ncheck\(has_close_elements\)\n$/);
    assert.deepEqual(buildEvaluation(p, 'x', 'visible').tests.map((t) => t.code), [
      'assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False',
      'assert has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3) == True',
    ]);
    const et = await byId('humaneval-et', 'HumanEval/0');
    assert.equal(buildEvaluation(et, 'x', 'eval').tests.length, (et.raw.test_case_list as string[]).length);
    assert.equal(buildEvaluation(et, 'x', 'et').tests[0]!.id, 'et/0');
  });

  it('returns copies: editing the result does not change the problem', async () => {
    const p = await byId('mbpp', '11');
    const ev = buildEvaluation(p, 'x', 'eval');
    ev.tests[0]!.code = 'changed';
    assert.notEqual(p.evalProgramTests[0]!.code, 'changed');
  });
});

describe('invocationOf', { timeout: 60_000 }, () => {
  const cases: Array<[string, string | undefined, string | null]> = [
    ['assert remove_Occ("hello","l") == "heo"', undefined, 'remove_Occ("hello","l")'],
    ['assert (remove_Occ("hello","l")) == "heo"', undefined, 'remove_Occ("hello","l")'],
    ['assert ((f(1, (2, 3))))==[1]', undefined, 'f(1, (2, 3))'],
    ['assert is_not_prime(2)', undefined, 'is_not_prime(2)'],
    ['assert not is_not_prime(2)', undefined, 'is_not_prime(2)'],
    ['assert math.isclose(area_tetrahedron(3), 15.588457268119894, rel_tol=0.001)', undefined, 'area_tetrahedron(3)'],
    ['assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))', undefined, 'similar_elements((3, 4, 5, 6),(5, 7, 4, 10))'],
    ['assert sorted(f([3,1])) == [1, 3]', undefined, 'f([3,1])'],
    ['assert int(lobb_num(5, 3)) == 35', undefined, 'lobb_num(5, 3)'],
    ['assert round(find_zero([1, 2]), 2) == -0.5', undefined, 'find_zero([1, 2])'],
    ['assert abs(f(2.0) - 4.0) < 1e-6', undefined, 'f(2.0)'],
    ['assert f(")(") == "a) == (b"', undefined, 'f(")(")'],
    ["assert f('it''s', \"\\\")\") == 1", undefined, "f('it''s', \"\\\")\")"],
    ['assert f("""x)""") == 1, "message (with parens)"', undefined, 'f("""x)""")'],
    ['assert f(1) == g(2)', undefined, 'f(1)'],
    ['assert g(2) == f(1)', 'f', 'f(1)'],
    ['assert sum(10,15) == 6', 'sum', 'sum(10,15)'],
    ['assert sum(10,15) == 6', undefined, 'sum(10,15)'],
    ['assert first_even ([1, 3, 5]) == 4', undefined, 'first_even ([1, 3, 5])'],
    ['assert f(x=[1, 2], y={"a": (1,)}) is None', undefined, 'f(x=[1, 2], y={"a": (1,)})'],
    ['assert 3 in f(4)', undefined, 'f(4)'],
    ['assert f(2) != 3', undefined, 'f(2)'],
    ['  assert  f(2)==3  ', undefined, 'f(2)'],
    ['assert True', undefined, null],
    ['print(f(1))', undefined, null],
    ['', undefined, null],
  ];
  for (const [line, ep, want] of cases) {
    it(`${JSON.stringify(line)}${ep ? ` (entry ${ep})` : ''} → ${JSON.stringify(want)}`, () => {
      assert.equal(invocationOf(line, ep), want);
    });
  }

  it('every dataset assert reduces to a call of the entry point', async () => {
    for (const ds of ['mbpp', 'mbpp-et', 'humaneval-et'] as const) {
      for (const p of await loadDataset(ds, { split: 'all' })) {
        for (const t of [...p.visibleTests, ...(p.etTests ?? []).map((e) => e.code)]) {
          const call = invocationOf(t, p.entryPoint);
          assert.ok(call !== null && new RegExp(`^${p.entryPoint}\\s*\\(`).test(call), `${ds} ${p.taskId}: ${t}`);
        }
      }
    }
    const he = await byId('humaneval', 'HumanEval/32');
    assert.deepEqual(visibleInvocations(he), ['find_zero([1, 2])', 'find_zero([-6, 11, -6, 1])']);
  });
});

// The reference solutions, run the way the sandbox runs them (program, then each test in the same namespace),
// in one local Python process. Skipped where no python3 is installed.
const HARNESS = String.raw`
import json, sys, io, contextlib
jobs = json.load(sys.stdin)
out = {}
for j in jobs:
    ns = {'__name__': '__main__'}
    failed = []
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            exec(compile(j['program'], 'program', 'exec'), ns)
        except BaseException as e:
            failed.append('program')
        else:
            for t in j['tests']:
                try:
                    exec(compile(t['code'], t['id'], 'exec'), ns)
                except BaseException:
                    failed.append(t['id'])
    out[j['id']] = failed
print(json.dumps(out))
`;
const python = ['python3', 'python'].find((c) => spawnSync(c, ['--version']).status === 0);

describe('reference solutions pass the assembled evaluations (local python)', { timeout: 60_000, skip: python === undefined ? 'python3 not installed' : false }, () => {
  it('MBPP test split (499 of 500; task 123 skipped: its reference takes ~5 s), HumanEval check programs 164/164, HumanEval docstring asserts 431/439', async () => {
    const jobs: Array<{ id: string; program: string; tests: { id: string; code: string }[] }> = [];
    for (const p of await loadDataset('mbpp')) if (p.taskId !== '123') jobs.push({ id: `mbpp/${p.taskId}`, ...buildEvaluation(p, p.canonicalSolution, 'eval') });
    for (const p of await loadDataset('humaneval')) {
      jobs.push({ id: `eval/${p.taskId}`, ...buildEvaluation(p, p.canonicalSolution, 'eval') });
      jobs.push({ id: `visible/${p.taskId}`, ...buildEvaluation(p, p.canonicalSolution, 'visible') });
    }
    const r = spawnSync(python!, ['-c', HARNESS], { input: JSON.stringify(jobs), maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr.toString());
    const failed = Object.entries(JSON.parse(r.stdout.toString()) as Record<string, string[]>).filter(([, f]) => f.length > 0);
    // The docstrings of these four HumanEval tasks disagree with the reference solution (HumanEval's own errata).
    assert.deepEqual(Object.fromEntries(failed), {
      'visible/HumanEval/47': ['visible/1'],
      'visible/HumanEval/116': ['visible/0', 'visible/1'],
      'visible/HumanEval/130': ['visible/0', 'visible/1', 'visible/2', 'visible/3'],
      'visible/HumanEval/148': ['visible/1'],
    });
    const visibleTotal = jobs.filter((j) => j.id.startsWith('visible/')).reduce((s, j) => s + j.tests.length, 0);
    assert.equal(visibleTotal, 439);
  });
});
