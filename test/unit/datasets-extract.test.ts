import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { docstringExamples, extractCode, extractCodeDetailed, loadDataset, parseEntryFunction, type Problem } from '../../core/datasets/index.ts';

const mbpp = { entryPoint: 'add', promptCode: undefined } satisfies Pick<Problem, 'entryPoint' | 'promptCode'>;
const heProblems = await loadDataset('humaneval');
const he = (n: number): Problem => heProblems[n]!;

describe('extractCode', { timeout: 60_000 }, () => {
  it('takes the last ```python block that defines the entry point, not a later usage block', () => {
    const completion = [
      'Here is a helper:', '```python', 'def helper(x):', '    return x', '```',
      'The solution:', '```python', 'def add(a, b):', '    return a + b', '```',
      'Usage:', '```python', 'print(add(1, 2))', '```', 'Done.',
    ].join('\n');
    assert.deepEqual(extractCodeDetailed(completion, mbpp), { code: 'def add(a, b):\n    return a + b\n', source: 'fenced-entry', preambleAdded: false });
  });

  it('prefers the LAST defining block (a corrected second attempt)', () => {
    const completion = '```python\ndef add(a, b):\n    return a - b\n```\nOops, fixed:\n```python\ndef add(a, b):\n    return a + b\n```';
    assert.equal(extractCode(completion, mbpp), 'def add(a, b):\n    return a + b\n');
  });

  it('accepts ``` without a language, ```py, and <python> tags', () => {
    assert.equal(extractCode('```\ndef add(a, b):\n    return a + b\n```', mbpp), 'def add(a, b):\n    return a + b\n');
    assert.equal(extractCode('```py\ndef add(a, b): return a + b\n```', mbpp), 'def add(a, b): return a + b\n');
    assert.equal(extractCode('Answer: <python>\ndef add(a, b):\n    return a + b\n</python> end', mbpp), 'def add(a, b):\n    return a + b\n');
  });

  it('ignores non-Python fences when a Python block exists, and falls back to the last block', () => {
    const completion = '```python\ndef add(a, b):\n    return a + b\n```\n```text\nadd(1, 2) -> 3\n```';
    assert.equal(extractCode(completion, mbpp), 'def add(a, b):\n    return a + b\n');
    assert.deepEqual(extractCodeDetailed('```python\nx = 1\n```\nthen\n```python\ny = 2\n```', mbpp), { code: 'y = 2\n', source: 'fenced-last', preambleAdded: false });
  });

  it('handles an unclosed final fence (generation stopped at the closing ```), CRLF and end-of-text markers', () => {
    assert.equal(extractCode('```python\r\ndef add(a, b):\r\n    return a + b\r\n', mbpp), 'def add(a, b):\r\n    return a + b\n');
    assert.equal(extractCode('```python\ndef add(a, b):\n    return a + b\n```\n<|EOT|>', mbpp), 'def add(a, b):\n    return a + b\n');
    assert.equal(extractCode('def add(a, b):\n    return a + b\n<｜end▁of▁sentence｜>', mbpp), 'def add(a, b):\n    return a + b\n');
  });

  it('does not end a block at ``` inside a line (e.g. a string in the code)', () => {
    const completion = '```python\ndef add(a, b):\n    s = "```"\n    return a + b\n```';
    assert.equal(extractCode(completion, mbpp), 'def add(a, b):\n    s = "```"\n    return a + b\n');
  });

  it('returns the raw text when there is no fence', () => {
    assert.deepEqual(extractCodeDetailed('def add(a, b):\n    return a + b', mbpp), { code: 'def add(a, b):\n    return a + b', source: 'raw', preambleAdded: false });
  });

  it('HumanEval: a bare body continuation is appended to the prompt', () => {
    const p = he(2);
    const body = '    return number % 1.0\n';
    assert.deepEqual(extractCodeDetailed(body, p), { code: p.promptCode + body, source: 'prompt+completion', preambleAdded: false });
    assert.equal(extractCode('```python\n    return number % 1.0\n```', p), `${p.promptCode!}    return number % 1.0\n`);
    assert.equal(extractCode(body, p, { continuePrompt: false }), body);
  });

  it('HumanEval: a full function gets the prompt imports and helpers in front when it lacks them', () => {
    const p = he(10); // make_palindrome uses the prompt's is_palindrome helper
    const fn = 'def make_palindrome(string: str) -> str:\n    return string\n';
    const r = extractCodeDetailed(`\`\`\`python\n${fn}\`\`\``, p);
    assert.equal(r.preambleAdded, true);
    assert.ok(r.code.startsWith('def is_palindrome(string: str) -> bool:'));
    assert.ok(r.code.endsWith(fn));
    const withPreamble = `${parseEntryFunction(p.promptCode!, p.entryPoint)!.preamble.trim()}\n\n${fn}`;
    assert.equal(extractCode(`\`\`\`python\n${withPreamble}\`\`\``, p), withPreamble);
    const noPreamble = he(2); // truncate_number: nothing before the def
    assert.equal(extractCode('```python\ndef truncate_number(number: float) -> float:\n    return number % 1.0\n```', noPreamble), 'def truncate_number(number: float) -> float:\n    return number % 1.0\n');
  });
});

describe('HumanEval docstring examples → visible asserts', { timeout: 60_000 }, () => {
  const vis = (n: number): string[] => he(n).visibleTests;

  it('doctest style: `>>> f(x)` then the output on the next line(s); comments dropped', () => {
    assert.deepEqual(vis(0), ['assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False', 'assert has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3) == True']);
    assert.deepEqual(vis(32), ['assert round(find_zero([1, 2]), 2) == -0.5', 'assert round(find_zero([-6, 11, -6, 1]), 2) == 1.0']);
    assert.deepEqual(vis(1), ["assert separate_paren_groups('( ) (( )) (( )( ))') == ['()', '(())', '(()())']"]);
  });

  it('inline styles: ==, =>, ==>, ➞, ->, returns, should return, `for` prefix and arithmetic explanations', () => {
    assert.equal(vis(69)[0], 'assert search([4, 1, 2, 2, 3, 1]) == 2');
    assert.equal(vis(66)[1], 'assert digitSum("abAB") == 131');
    assert.equal(vis(77)[2], 'assert iscube(-1) == True');
    assert.equal(vis(72)[0], 'assert will_it_fly([1, 2], 5) == False');
    assert.equal(vis(152)[0], 'assert compare([1,2,3,4,5,1],[1,2,3,4,2,-2]) == [0,0,0,0,3,3]');
    assert.equal(vis(86)[2], "assert anti_shuffle('Hello World!!!') == 'Hello !!!Wdlor'");
    assert.equal(vis(76)[0], 'assert is_simple_power(1, 4) == True'); // `=> true`
    assert.equal(vis(150)[0], 'assert x_or_y(7, 34, 12) == 34'); // `for x_or_y(...) == 34`
    assert.equal(vis(67)[0], 'assert fruit_distribution("5 apples and 6 oranges", 19) == 8'); // `->19 - 5 - 6 = 8`
    assert.equal(vis(151)[0], 'assert double_the_difference([1, 3, 2, 0]) == 10');
    assert.equal(vis(79)[0], 'assert decimal_to_binary(15) == "db1111db"'); // `# returns "db1111db"`
    assert.equal(vis(141)[1], "assert file_name_check(\"1example.dll\") == 'No'"); // prose after the value
    assert.equal(vis(87)[0], 'assert get_row([ [1,2,3,4,5,6], [1,2,3,4,1,6], [1,2,3,4,5,1] ], 1) == [(0, 0), (1, 4), (1, 0), (2, 5), (2, 0)]'); // call over several lines
    assert.equal(vis(97)[0], 'assert multiply(148, 412) == 16'); // `should return 16.`
  });

  it('named-argument styles: `For x = v the output should be y` and Input:/Output: blocks', () => {
    assert.equal(vis(78)[0], 'assert hex_key("AB") == 1');
    assert.equal(vis(84)[0], 'assert solve(1000) == "1"');
    assert.equal(vis(112)[0], "assert reverse_delete(\"abcde\", \"ae\") == ('bcd',False)");
    assert.deepEqual(vis(120), ['assert maximum([-3, -4, 5], 3) == [-4, -3, 5]', 'assert maximum([4, -4, 4], 2) == [4, 4]', 'assert maximum([-3, 2, 1, 2, -1, -2, 1], 1) == [2]']);
    assert.deepEqual(vis(68)[0], 'assert pluck([4,2,3]) == [2, 1]');
    assert.deepEqual(vis(143)[0], 'assert words_in_sentence("This is a test") == "is"');
  });

  it('drops examples that are not valid Python and leaves problems without examples empty', () => {
    assert.deepEqual(vis(80), []); // is_happy(a) => False: `a` is an undefined name
    assert.deepEqual(vis(38), []); // no examples at all
    assert.deepEqual(vis(81), []); // examples call grade_equation, not numerical_letter_grade
    assert.ok(!vis(158).some((t) => t.includes('aaaaaaa'))); // `== ""aaaaaaa"` is malformed in the docstring
    const none = heProblems.filter((p) => p.visibleTests.length === 0).map((p) => p.taskId.split('/')[1]);
    assert.deepEqual(none, ['38', '41', '50', '80', '81', '83', '105', '115', '149', '160']);
  });

  it('docstringExamples works on a bare prompt and removes duplicates', () => {
    const prompt = 'def f(x):\n    """Double.\n    >>> f(2)\n    4\n    >>> f(2)\n    4\n    >>> y = f(3)\n    >>> print(f(1))\n    2\n    """\n';
    assert.deepEqual(docstringExamples(prompt, 'f'), ['assert f(2) == 4', 'assert print(f(1)) == 2']);
    assert.deepEqual(docstringExamples('def g():\n    pass\n', 'g'), []);
    assert.deepEqual(docstringExamples('def g():\n    pass\n', 'missing'), []);
  });

  it('parseEntryFunction reads signature, parameters, docstring and preamble', () => {
    const fn = parseEntryFunction(he(10).promptCode!, 'make_palindrome')!;
    assert.equal(fn.signature, 'def make_palindrome(string: str) -> str:');
    assert.deepEqual(fn.params, ['string']);
    assert.match(fn.docstring, /^Find the shortest palindrome that begins with a supplied string\./);
    assert.match(fn.preamble, /def is_palindrome\(string: str\) -> bool:/);
    assert.deepEqual(parseEntryFunction('def h(self, a: int = 1, *args, b=(1, 2), **kw):\n    pass\n', 'h')!.params, ['a', 'args', 'b', 'kw']);
  });
});

describe('extraction of what real models write', { timeout: 60_000 }, () => {

  it('drops example usage after the solution, also when the token limit cut it off', () => {
    const text = '```python\nimport math\n\ndef add(a, b):\n    return a + b\n\n\n# Test\nprint(add(1, 2))  # 3\nassert add(2, 2) == 4\nif __name__ == "__main__":\n    print(add(3,\n';
    assert.equal(extractCode(text, mbpp), 'import math\n\ndef add(a, b):\n    return a + b\n\n\n# Test\n');
  });
  it('keeps setup statements before the solution and constants after it', () => {
    const code = 'import sys\nsys.setrecursionlimit(10000)\n\ndef add(a, b):\n    return a + b\nLIMIT = 3\nprint(add(1, 2))\n';
    assert.equal(extractCode(`\`\`\`python\n${code}\`\`\``, mbpp), 'import sys\nsys.setrecursionlimit(10000)\n\ndef add(a, b):\n    return a + b\nLIMIT = 3\n');
  });
  it('prefers a complete block over a later one cut off by the token limit', () => {
    const text = 'Here:\n```python\ndef add(a, b):\n    return a + b\n```\nOr shorter:\n```python\ndef add(a, b):\n    return (a +';
    assert.equal(extractCode(text, mbpp), 'def add(a, b):\n    return a + b\n');
  });
  it('prefers the block that defines the entry point over a later example-usage block', () => {
    const text = '```python\ndef add(a, b):\n    return a + b\n```\nUsage:\n```python\nprint(add(1, 2))\n```\n';
    assert.equal(extractCode(text, mbpp), 'def add(a, b):\n    return a + b\n');
  });
  it('aliases a solution whose one function was renamed', () => {
    const text = '```python\ndef remove_occurrence(s, ch):\n    return s.replace(ch, "", 1)\n```';
    assert.equal(extractCode(text, { entryPoint: 'remove_Occ', promptCode: undefined }),
      'def remove_occurrence(s, ch):\n    return s.replace(ch, "", 1)\n\nremove_Occ = remove_occurrence\n');
  });
  it('does not alias when several functions are defined (one may be a helper)', () => {
    const code = 'def helper(x):\n    return x\n\ndef other(s):\n    return helper(s)\n';
    assert.equal(extractCode(`\`\`\`python\n${code}\`\`\``, { entryPoint: 'remove_Occ', promptCode: undefined }), code);
  });
});
