// The dynamic signal of stdin/stdout programs (core/egcfg/stdin-signal.ts): Python's str repr (checked against the
// python3 on this machine), the bounded invocation and stdout texts, the entry as the signal shows it; and the
// simulated model's knowledge of contest problems (the solve()-shaped program it believes, found by the statement).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { boundedRepr, pyStrRepr, renderSignal, SIGNAL_STDIO_CHARS, stdinInvocation, withStdout } from '../../core/egcfg/index.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { knowledgeFor, solveShaped } from '../../activities/model/simulated-knowledge.ts';
import { buildProblems, findProblem, viewPrompt } from '../../activities/model/sim-model.ts';
import { buildPrompt } from '../../core/prompts/index.ts';
import { repoPath } from '../../core/repo.ts';

const T = { timeout: 60_000 };

describe('stdin signal texts', T, () => {
  test('pyStrRepr matches python3 repr()', T, () => {
    const samples = ['1 2\n', "it's", 'say "hi"', `both ' and "`, 'tab\there\r\n', 'back\\slash', '\x00\x07\x1b\x7f',
      'é ü 日本', '\u200b zero width', '\u2028 line sep', '\ud83d\ude00 emoji', '', '\u00a0nbsp', '\xad soft hyphen'];
    const python = execFileSync('python3', ['-c', 'import json,sys\nfor s in json.load(sys.stdin): print(repr(s))'],
      { input: JSON.stringify(samples), encoding: 'utf8' }).split('\n').slice(0, samples.length);
    assert.deepEqual(samples.map(pyStrRepr), python);
  });

  test('the invocation: solve(), the stdin as repr, the expected stdout as printed; each bounded', T, () => {
    assert.equal(stdinInvocation({ input: '1 2\n', output: '3\n' }), "solve()\nstdin: '1 2\\n'\nexpected stdout: 3");
    const big = { input: '7 '.repeat(50_000), output: `${'9'.repeat(5000)}\n` };
    const inv = stdinInvocation(big);
    assert.ok(inv.length < 3 * SIGNAL_STDIO_CHARS, `bounded: ${inv.length} chars`);
    assert.match(inv, /^solve\(\)\nstdin: '7 7 .*' \.\.\. \[98000 more characters\]\nexpected stdout: 9+ \.\.\. \[3000 more characters\]$/);
    assert.equal(boundedRepr('abcdef', 3), "'abc' ... [3 more characters]");
  });

  test('the trace with the program\'s stdout, and the entry in the signal', T, () => {
    const trace = "= {'a': 1, 'b': 2} , {'a': 'int', 'b': 'int'}\nLINE: print(a + b)\n";
    assert.equal(withStdout(trace, '3\n'), `${trace.trimEnd()}\n# Stdout: '3\\n'`);
    assert.equal(withStdout('x', 'y', true), "x\n# Stdout: 'y' [truncated by the sandbox]");
    const signal = renderSignal([{ candidate: 'def solve():\n    a, b = map(int, input().split())\n    print(a + b)', invocation: stdinInvocation({ input: '1 2\n', output: '3\n' }), trace: withStdout(trace, '3\n') }]);
    assert.match(signal, /# Function:\ndef solve\(\):\n.*\n {4}print\(a \+ b\)\n# Invocation:\nsolve\(\)\nstdin: '1 2\\n'\nexpected stdout: 3\n# Execution Trace:\n= \{'a': 1, 'b': 2\}.*\nLINE: print\(a \+ b\)\n# Stdout: '3\\n'\n$/);
  });
});

describe('simulated model: contest problems', T, () => {
  test('solveShaped wraps top-level code in def solve() and calls it; a solve() program only gets the call', T, () => {
    assert.equal(solveShaped('a, b = map(int, input().split())\n\nprint(a + b)\n'), 'def solve():\n    a, b = map(int, input().split())\n\n    print(a + b)\n\nsolve()');
    assert.equal(solveShaped('def solve():\n    print(1)\n'), 'def solve():\n    print(1)\n\nsolve()');
    assert.equal(solveShaped('def solve():\n    print(1)\n\nsolve()\n'), 'def solve():\n    print(1)\n\nsolve()');
  });

  test('each fixture problem is recognised in its EG-CFG prompt by its statement', T, async () => {
    const ps = await loadDataset('codecontests', { file: repoPath('test', 'fixtures', 'codecontests', 'test.jsonl') });
    const knowledge = knowledgeFor(ps);
    const problems = buildProblems(knowledge);
    for (const [i, p] of ps.entries()) {
      for (const type of ['deepseek_instruct', 'long_code'] as const) {
        const found = findProblem(problems, knowledge, viewPrompt(buildPrompt(p, type)).instruction);
        assert.equal(found?.index, i, `${p.taskId} (${type})`);
      }
      assert.match(knowledge[i]!.solution, /^def solve\(\):\n[\s\S]*\n\nsolve\(\)$/);
      assert.ok(knowledge[i]!.broken.length >= 1);
    }
  });
});
