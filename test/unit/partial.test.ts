// make_executable (EG-CFG spec 2.1) + comment/docstring stripping, on hand-checked examples.  Runs the real
// python/sandbox/partial.py with the sandbox's interpreter (trusted inputs: no jail needed for parsing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repoPath } from '../../core/repo.ts';
import { sandboxPython } from '../../core/tools.ts';

function prepare(code: string): { ok: true; executable: string } | { ok: false; error: string } {
  const r = spawnSync(sandboxPython(), [repoPath('python', 'sandbox', 'partial.py')], { input: JSON.stringify({ code }), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
const ok = (code: string, expected: string) => assert.deepEqual(prepare(code), { ok: true, executable: expected }, JSON.stringify(code));

test('complete code is only normalized (ast.unparse), not cut', { timeout: 60_000 }, () => {
  ok('x = (1 +\n  2)', 'x = 1 + 2');
  ok('import math\ndef g(a, b):\n    c = math.sqrt(a)\n    while c > b:\n        c -= 1\n    return c\n',
    'import math\n\ndef g(a, b):\n    c = math.sqrt(a)\n    while c > b:\n        c -= 1\n    return c');
});

test('step 2/3: an unfinished statement inside a block: the pass at its indentation does not help, dropping it does', { timeout: 60_000 }, () => {
  // "    y = x +" + "    pass" still fails; dropping the line leaves "def f(x):" (no body); step 4 puts pass there.
  ok('def f(x):\n    y = x +', 'def f(x):\n    pass');
  // A block header as the last line: a pass at the SAME indentation is not a body; dropping the header parses.
  ok('def f(x):\n    y = x + 1\n    if y > 2:', 'def f(x):\n    y = x + 1');
  ok('def f(x):\n    if x:\n        return 1\n    else', 'def f(x):\n    if x:\n        return 1');
});

test('step 4: the dropped line is replaced by a pass at its own indentation', { timeout: 60_000 }, () => {
  ok('def f(x):\n    for i in range(x):\n        print(i', 'def f(x):\n    for i in range(x):\n        pass');
  ok('def f():\n    s = "abc', 'def f():\n    pass');
});

test('step 2: a pass indented like the last line closes an open block', { timeout: 60_000 }, () => {
  // the last line is an indented statement of a body that is complete -> parses as is; here the header is open:
  ok('while True:\n    x = 1\n    if x:\n        ', 'while True:\n    x = 1\n    if x:\n        pass');
});

test('comments and docstrings are stripped (tokenize + AST), bodies left empty get pass', { timeout: 60_000 }, () => {
  ok('def f(x):\n    """Doc."""\n    # comment\n    return x  # trailing', 'def f(x):\n    return x');
  ok('def f():\n    """only doc"""', 'def f():\n    pass');
  ok('"""module doc"""\nclass A:\n    \'\'\'cls\'\'\'\n    def m(self):\n        "m doc"\n        return 1  # one\n', 'class A:\n\n    def m(self):\n        return 1');
  ok('x = "# not a comment"  # a comment', "x = '# not a comment'");
});

test('a class with an unfinished method keeps the finished ones', { timeout: 60_000 }, () => {
  ok('class A:\n    def m(self):\n        return 1\n    def n(self', 'class A:\n\n    def m(self):\n        return 1');
});

test('nothing parses -> an error, not a guess', { timeout: 60_000 }, () => {
  for (const code of [')))', 'def f(:']) {
    const r = prepare(code);
    assert.equal(r.ok, false, code);
    assert.match((r as { error: string }).error, /make_executable gave up/);
  }
});

test('empty input parses (as in the reference implementation) and stays empty', { timeout: 60_000 }, () => {
  ok('', '');
});
