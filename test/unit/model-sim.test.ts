// The simulated model's pure logic: prompt reading, problem lookup, variants, continuation planning, skill.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildProblems, findProblem, generate, mutants, planContinuations, unknownProblem, viewPrompt,
} from '../../activities/model/sim-model.ts';
import { SimTokenizer } from '../../activities/model/sim-tokenizer.ts';

const knowledge = [
  { keys: ['assert add(1, 2) == 3'], solution: 'def add(a, b):\r\n    return a + b\r\n', broken: ['def add(a, b):\n    return a - b'] },
  { keys: ['assert is_even(4) == True'], solution: 'import math\ndef is_even(n):\n    return n % 2 == 0' },
];
const problems = buildProblems(knowledge);
const tok = new SimTokenizer(problems.flatMap((p) => p.variants.map((v) => v.code)));

test('viewPrompt splits instruction, signal and answer', { timeout: 60_000 }, () => {
  const v = viewPrompt('### Instruction:\nq\n### Runtime Behavior for Candidate Continuations\ntrace\n### Response:\n```python\ndef f(');
  assert.deepEqual(v, { instruction: '### Instruction:\nq', hasSignal: true, answer: '```python\ndef f(' });
  assert.deepEqual(viewPrompt('plain text'), { instruction: 'plain text', hasSignal: false, answer: '' });
});

test('knowledge is normalised; missing broken variants become mutants of the solution', { timeout: 60_000 }, () => {
  assert.equal(problems[0]!.variants[0]!.code, 'def add(a, b):\n    return a + b');
  assert.deepEqual(problems[0]!.variants.map((v) => v.label), ['solution', 'broken#0']);
  const evens = problems[1]!.variants;
  assert.equal(evens[0]!.label, 'solution');
  assert.ok(evens.length >= 2 && evens.slice(1).every((v) => v.label.startsWith('mutant#') && v.code !== evens[0]!.code));
  assert.ok(evens.slice(1).every((v) => v.code.startsWith('import math\ndef is_even(n):\n')), 'import and def lines are left alone');
  assert.deepEqual(mutants('def f():\n    pass'), ['def f():\n    return None']);
});

test('the problem whose keys occur last wins; unknown problems are named after their test', { timeout: 60_000 }, () => {
  const both = `examples: assert is_even(4) == True\nmine: assert add(1, 2) == 3`;
  assert.equal(findProblem(problems, knowledge, both)?.index, 0);
  assert.equal(findProblem(problems, knowledge, 'nothing'), undefined);
  assert.equal(unknownProblem('>>> Test Cases:\nassert (foo_bar(3)) == 9').variants[0]!.code, 'def foo_bar(*args):\n    return None');
});

test('continuations: direct prefix, code after a reasoning prefix, closed block, off-script', { timeout: 60_000 }, () => {
  const add = problems[0]!;
  assert.deepEqual(planContinuations('```python\ndef add(a, b):\n    return a ', add, tok), [
    { v: 0, rest: '+ b\n```' }, { v: 1, rest: '- b\n```' }]);
  assert.deepEqual(planContinuations('Let me think.\n```python\ndef add(a, b):\n    return a -', add, tok), [{ v: 1, rest: ' b\n```' }]);
  assert.deepEqual(planContinuations('```python\ndef add(a, b):\n    return a\n```', add, tok).map((c) => c.rest), ['', '']);
  assert.deepEqual(planContinuations('```python\ndef add(a, b):\n    return max(a', add, tok), [{ v: 0, rest: ' b\n```' }]); // 3 tokens replaced 3
  assert.deepEqual(planContinuations('I will write it.', add, tok)[0], { v: 0, rest: '\n```python\ndef add(a, b):\n    return a + b\n```' });
  const evens = problems[1]!;
  assert.equal(planContinuations('```python\ndef is_even(', evens, tok)[0]!.rest, 'n):\n    return n % 2 == 0\n```');
  // A reasoning prefix without the import: the solution (aligned from its def line) and the import-less variant both stay.
  const [sub] = buildProblems([{ keys: ['k'], solution: 'import re\ndef f(s):\n    return re.sub("a", "b", s)', broken: ['def f(*args, **kwargs):\n    return None'] }]);
  assert.deepEqual(planContinuations('```python\ndef f(', sub!, tok), [
    { v: 0, rest: 's):\n    return re.sub("a", "b", s)\n```' }, { v: 1, rest: '*args, **kwargs):\n    return None\n```' }]);
});

test('skill sets how often samples believe the solution', { timeout: 60_000 }, () => {
  const view = viewPrompt('### Instruction:\nassert add(1, 2) == 3\n### Response:\n');
  const count = (skill: number) => {
    let ok = 0;
    for (let i = 0; i < 400; i++) {
      const g = generate({ tok, problem: problems[0]!, view, model: 'm', skill: { skill, signalSkill: skill }, seed: 1, temperature: 0.9,
        sampleIndex: i, maxTokens: 100, stop: [], stopTokenIds: [], includeStopStr: false, topK: 0 });
      if (g.text.includes('a + b')) ok++;
    }
    return ok;
  };
  assert.equal(count(0), 0);
  assert.equal(count(1), 400);
  const mid = count(0.6);
  assert.ok(mid > 200 && mid < 280, `about 60% of 400, got ${mid}`);
});
