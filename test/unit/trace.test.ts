// EG-CFG trace format (spec 2.3) on hand-checked examples.  Runs the real python/sandbox/tracer.py with the
// sandbox's interpreter (trusted inputs; the jailed path is covered in test/integration/sandbox.api.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repoPath } from '../../core/repo.ts';
import { sandboxPython } from '../../core/tools.ts';

interface Traced { trace: string; truncated: boolean; error: { type: string; message: string } | null }
function trace(source: string, limits: { max_steps?: number; max_chars?: number; value_format?: 'python' | 'authors' } = {}): Traced {
  const r = spawnSync(sandboxPython(), [repoPath('python', 'sandbox', 'tracer.py')], { input: JSON.stringify({ source, ...limits }), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('a call: depth prefix, locals dict , type dict, EVENT: source line, Return Value', { timeout: 60_000 }, () => {
  const t = trace('def add(a, b):\n    s = a + b\n    return s\nadd(1, 2)');
  assert.equal(t.trace, [
    '= {} , {}',
    'LINE: def add(a, b):',
    "= {'add': <function add>} , {'add': 'function'}",
    'LINE: add(1, 2)',
    "== {'a': 1, 'b': 2} , {'a': 'int', 'b': 'int'}",
    'CALL: def add(a, b):',
    "== {'a': 1, 'b': 2} , {'a': 'int', 'b': 'int'}",
    'LINE: s = a + b',
    "== {'a': 1, 'b': 2, 's': 3} , {'a': 'int', 'b': 'int', 's': 'int'}",
    'LINE: return s',
    "== {'a': 1, 'b': 2, 's': 3} , {'a': 'int', 'b': 'int', 's': 'int'}",
    'RETURN: return s',
    'Return Value: 3',
  ].join('\n'));
  assert.equal(t.truncated, false);
  assert.equal(t.error, null);
});

test('nested calls deepen the prefix; no line numbers anywhere', { timeout: 60_000 }, () => {
  const t = trace('def g(x):\n    return h(x) * 2\ndef h(y):\n    return y + 1\ng(3)');
  const lines = t.trace.split('\n');
  assert.ok(lines.includes("=== {'y': 3} , {'y': 'int'}"));
  assert.ok(lines.includes('CALL: def h(y):'));
  assert.deepEqual(lines.slice(-6), [
    "=== {'y': 3} , {'y': 'int'}", 'RETURN: return y + 1', 'Return Value: 4',
    "== {'x': 3} , {'x': 'int'}", 'RETURN: return h(x) * 2', 'Return Value: 8',
  ]);
  assert.ok(!/line \d|L\. ?\d/.test(t.trace));
});

test('exceptions: EXCEPTION events with the exception repr as Return Value', { timeout: 60_000 }, () => {
  const t = trace('def d(x):\n    return 1 / x\nd(0)');
  assert.deepEqual(t.trace.split('\n').slice(8), [
    "== {'x': 0} , {'x': 'int'}", 'EXCEPTION: return 1 / x', "Return Value: ZeroDivisionError('division by zero')",
    "== {'x': 0} , {'x': 'int'}", 'RETURN: return 1 / x', 'Return Value: None',
    "= {'d': <function d>} , {'d': 'function'}", 'EXCEPTION: d(0)', "Return Value: ZeroDivisionError('division by zero')",
  ]);
  assert.deepEqual(t.error, { type: 'ZeroDivisionError', message: 'division by zero' });
});

test('dunders removed, memory addresses and module paths removed', { timeout: 60_000 }, () => {
  const t = trace('import json\nclass P:\n    def __init__(self):\n        self.v = 1\np = P()\nq = [p]');
  assert.ok(!/'__\w+__':/.test(t.trace), 'no dunder names (__module__, __qualname__, __builtins__, ...)');
  assert.ok(!/0x[0-9a-f]+/i.test(t.trace), 'no addresses');
  assert.ok(!t.trace.includes('/usr/lib'), 'no file paths');
  assert.ok(t.trace.includes("{'json': <module 'json'>} , {'json': 'module'}"));
  assert.ok(t.trace.includes("== {'self': <__main__.P object>} , {'self': 'P'}\nLINE: self.v = 1"));
  assert.ok(t.trace.includes("'p': <__main__.P object>"));
});

test('locals keep insertion order and repr formatting (dicts not sorted)', { timeout: 60_000 }, () => {
  const t = trace('def f():\n    z = 1\n    a = {"b": 1, "a": (2,)}\n    return a\nf()');
  assert.ok(t.trace.includes("== {'z': 1, 'a': {'b': 1, 'a': (2,)}} , {'z': 'int', 'a': 'dict'}\nLINE: return a"));
});

test('caps: max steps and max chars cut the trace and set truncated', { timeout: 60_000 }, () => {
  const bySteps = trace('for i in range(1000):\n    pass', { max_steps: 5 });
  assert.equal(bySteps.truncated, true);
  assert.equal(bySteps.trace.split('\n').filter((l) => l.startsWith('LINE: ')).length, 5);
  const byChars = trace('for i in range(1000):\n    pass', { max_chars: 100 });
  assert.equal(byChars.truncated, true);
  assert.ok(byChars.trace.length <= 100);
  assert.equal(byChars.trace, "= {} , {}\nLINE: for i in range(1000):\n= {'i': 0} , {'i': 'int'}\nLINE: pass");
  const whole = trace('for i in range(3):\n    pass');
  assert.equal(whole.truncated, false);
});

test('big values are abbreviated (bounded repr), small ones are exactly repr()', { timeout: 60_000 }, () => {
  const t = trace('def f():\n    big = list(range(1000))\n    s = "x" * 2000\n    return 0\nf()');
  const line = t.trace.split('\n').find((l) => l.includes("'big'") && l.includes("'s'"))!;
  assert.ok(line.includes('[0, 1, 2, 3'), line.slice(0, 100));
  assert.ok(line.includes('...'));
  assert.ok(line.length < 2000);
});

test("value_format 'authors': locals as the authors' tracer dumped them (JSON round trip, else the repr as a string)", { timeout: 60_000 }, () => {
  const src = 'def f(t):\n    d = {1: (2, 3), "k": [(4,)], None: True, 1.5: 0}\n    s = {5}\n    m = {(1, 2): 3}\n    return t\nf((1, "a"))';
  const lines = trace(src, { value_format: 'authors' }).trace.split('\n');
  assert.ok(lines.includes("= {'f': '<function f>'} , {'f': 'function'}"), 'a function is its repr, quoted (address removed)');
  assert.ok(lines.includes("== {'t': [1, 'a']} , {'t': 'tuple'}"), 'tuples as lists');
  assert.ok(lines.includes("== {'t': [1, 'a'], 'd': {'1': [2, 3], 'k': [[4]], 'null': True, '1.5': 0}, 's': '{5}', 'm': '{(1, 2): 3}'} , "
    + "{'t': 'tuple', 'd': 'dict', 's': 'set', 'm': 'dict'}"), 'int/None/float keys as strings; a set and a dict with tuple keys as their repr strings');
  assert.ok(lines.includes("Return Value: (1, 'a')"), 'return values stay a repr (theirs too)');
  const py = trace(src).trace;
  assert.ok(py.includes("{'t': (1, 'a'), 'd': {1: (2, 3), 'k': [(4,)], None: True, 1.5: 0}, 's': {5}, 'm': {(1, 2): 3}}"), 'python keeps the repr');
});
