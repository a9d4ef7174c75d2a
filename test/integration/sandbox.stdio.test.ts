// Contest judging under real nsjail (issue 17): stdin/stdout programs, the token checker, the verdicts, bounded
// output, traced runs reading stdin, and the reference-solution check on the hand-made CodeContests fixture.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from '../../activities/sandbox/index.ts';
import { runContest } from '../../activities/contest.ts';
import { signalTrace } from '../../activities/egcfg/generation.ts';
import { loadDataset, pythonSolutions, readCodeContests } from '../../core/datasets/index.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'codecontests', 'test.jsonl');
const T = { timeout: 240_000 };
let sandbox: Sandbox;
before(async () => { sandbox = await createSandbox({ poolSize: 2 }); }, { timeout: 300_000 });
after(async () => { await sandbox.close(); }, { timeout: 120_000 });

describe('contest judging (real nsjail)', T, () => {
  test('accepted despite whitespace; floats within 1e-6; wrong answer names the token; the rest skipped', T, async () => {
    const r = await sandbox.runStdio({
      program: 'import sys\nd = sys.stdin.read().split()\nprint(int(d[0]) + int(d[1]), end="  ")\nprint()\nprint(1 / 3)\n',
      tests: [
        { id: 'ws', input: '1 2', output: '3\n0.333333333\n\n' },
        { id: 'float', input: '2 2\n', output: '4 0.3333332' },
        { id: 'int-exact', input: '2 2\n', output: '4.0 0.3333333' },
        { id: 'wa', input: '1 1\n', output: '3 0.333333' },
        { id: 'after', input: '1 1\n', output: '2 0.333333' },
      ],
    });
    assert.deepEqual(r.tests.map((t) => t.verdict), ['accepted', 'accepted', 'accepted', 'wrong_answer', 'skipped']);
    assert.equal(r.verdict, 'wrong_answer');
    assert.equal(r.passed, false);
    assert.equal(r.testsPassed, 3);
    assert.match(r.tests[3]!.checker, /token 1: expected '3', got '2'/);
    const strict = await sandbox.runStdio({ program: 'print(4)', tests: [{ id: 'a', input: '', output: '4.5' }, { id: 'b', input: '', output: '5' }], stopOnFirstFailure: false });
    assert.deepEqual(strict.tests.map((t) => t.verdict), ['wrong_answer', 'wrong_answer']);
    const tol = await sandbox.runStdio({ program: 'print(1.0000015)', tests: [{ id: 'a', input: '', output: '1.000000' }] });
    assert.equal(tol.verdict, 'wrong_answer'); // 1.5e-6 > 1e-6
  });

  test('time limit, runtime error, memory limit, bounded output; sys.exit(0) after printing is accepted', T, async () => {
    const one = async (program: string, extra: Record<string, number> = {}) =>
      (await sandbox.runStdio({ program, tests: [{ id: 't', input: '5\n', output: '5\n' }], timeoutMs: 1000, ...extra })).tests[0]!;
    const tle = await one('while True:\n    pass\n');
    assert.equal(tle.verdict, 'time_limit');
    const re = await one('x = int(input())\nprint([1][x])\n');
    assert.equal(re.verdict, 'runtime_error');
    assert.match(re.stderr, /IndexError/);
    const mle = await one('a = [0] * (10 ** 9)\n', { memoryMb: 128 });
    assert.equal(mle.verdict, 'memory_limit');
    const eof = await one('input()\ninput()\n');
    assert.equal(eof.verdict, 'runtime_error');
    assert.match(eof.error?.type ?? '', /EOFError/);
    const big = await sandbox.runStdio({ program: 'print("x" * 300000)\n', tests: [{ id: 't', input: '', output: 'y' }] });
    assert.equal(big.tests[0]!.verdict, 'wrong_answer');
    assert.ok(big.tests[0]!.stdout.length <= 64 * 1024 && big.tests[0]!.stdoutTruncated);
    const exit0 = await one('import sys\nprint(input())\nsys.exit(0)\n');
    assert.equal(exit0.verdict, 'accepted');
  });

  test('trace mode reads the test input on stdin (EG-CFG traces a whole program on the public inputs)', T, async () => {
    const r = await sandbox.run({ program: 'a = int(input())\nb = a + 1\nprint(b)\n', mode: 'trace', tests: [{ id: 'inv/0', code: '', stdin: '41\n' }] });
    assert.equal(r.tests[0]!.status, 'passed');
    assert.match(r.tests[0]!.trace ?? '', /'b': 42/);
    await assert.rejects(sandbox.run({ program: 'pass', tests: [{ id: 'a', code: '', stdin: 'x' }] }), /stdin needs mode 'trace'/);
  });

  test('a traced stdin run is bounded (steps, time, output) and gives the signal its trace with the stdout', T, async () => {
    const big = `${'7 '.repeat(50_000)}\n`;
    const r = await sandbox.run({
      program: 'import sys\nt = 0\nfor x in sys.stdin.read().split():\n    t += int(x)\nprint(t)\n', mode: 'trace', traceMaxSteps: 200,
      tests: [{ id: 'big', code: '', stdin: big }, { id: 'small', code: '', stdin: '1 2\n' }],
    });
    assert.deepEqual(r.tests.map((t) => [t.status, t.traceTruncated, t.stdout]), [['passed', true, '350000\n'], ['passed', false, '3\n']]);
    assert.equal(r.tests[0]!.trace!.split('\n').filter((l) => /^(LINE|CALL|RETURN|EXCEPTION):/.test(l)).length, 200, 'the trace stops at traceMaxSteps; the program runs on');
    assert.equal(signalTrace(r.tests[1]!, true)!.split('\n').at(-1), "# Stdout: '3\\n'");
    assert.equal(signalTrace(r.tests[1]!, false), r.tests[1]!.trace, 'function-call traces get no stdout line');
    const spin = await sandbox.run({ program: 'n = int(input())\nwhile n:\n    n += 1\n', mode: 'trace', timeoutMs: 500, tests: [{ id: 'spin', code: '', stdin: '1\n' }] });
    assert.equal(spin.tests[0]!.status, 'timeout');
    assert.equal(signalTrace(spin.tests[0]!, true), null, 'a run cut off contributes no entry');
    const loud = await sandbox.run({ program: 'import sys\nfor _ in range(10**6):\n    sys.stdout.write(input() * 100)\n', mode: 'trace', traceMaxSteps: 20, tests: [{ id: 'loud', code: '', stdin: 'ab\n'.repeat(200_000) }] });
    assert.ok(['output_limit', 'error'].includes(loud.tests[0]!.status), loud.tests[0]!.status);
    assert.ok(loud.tests[0]!.stdout.length <= 64 * 1024, 'the stdout kept is bounded');
  });

  test('reference solutions of the fixture: correct ones accepted, incorrect ones rejected (rates printed)', T, async () => {
    const problems = await loadDataset('codecontests', { file: FIXTURE });
    const rows = await readCodeContests(FIXTURE);
    let correct = 0, correctOk = 0, incorrect = 0, incorrectRejected = 0;
    const verdicts: Record<string, string[]> = {};
    for (const row of rows) {
      const problem = problems.find((p) => p.taskId === row.record.name)!;
      for (const code of pythonSolutions(row.record.solutions)) {
        const r = await runContest(sandbox, problem, code, 'eval', 2);
        correct++;
        if (r.passed) correctOk++;
        else assert.fail(`${problem.taskId}: a correct solution got ${r.status}: ${r.stderr} ${r.tests.find((t) => t.verdict !== 'accepted')?.checker ?? ''}`);
      }
      for (const code of pythonSolutions(row.record.incorrect_solutions)) {
        const r = await runContest(sandbox, problem, code, 'eval', 2);
        incorrect++;
        if (!r.passed) incorrectRejected++;
        (verdicts[problem.taskId] ??= []).push(r.status);
      }
    }
    console.log(JSON.stringify({ correct, correct_accepted_rate: correctOk / correct, incorrect, incorrect_rejected_rate: incorrectRejected / incorrect, verdicts }));
    assert.equal(correctOk, correct);
    assert.ok(incorrectRejected / incorrect >= 0.8, `incorrect solutions rejected: ${incorrectRejected}/${incorrect}`);
    assert.deepEqual(verdicts['3_C. Big Sum'], ['time_limit']);
    assert.deepEqual(verdicts['4_D. Reverse Words'], ['runtime_error', 'wrong_answer']);
    assert.deepEqual(verdicts['6_F. Small Memory'], ['memory_limit']);
  });
});
