import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDataset, type Problem } from '../../core/datasets/index.ts';
import {
  baselinePrompt,
  buildPrompt,
  fewShotExamples,
  insertSignal,
  parsePromptType,
  promptTemplate,
  promptTypes,
  renderTemplate,
  RESPONSE_MARKER,
  taskText,
} from '../../core/prompts/index.ts';

const mbppAll = await loadDataset('mbpp', { split: 'all' });
const mbpp = (id: string): Problem => mbppAll.find((p) => p.taskId === id)!;
const he = await loadDataset('humaneval');
const SYSTEM = promptTemplate('system').trimEnd();

describe('deepseek_instruct (3-shot, official DeepSeek-Coder MBPP prompt)', { timeout: 60_000 }, () => {
  it('has the DeepSeek-Coder instruct layout and ends with the response marker', () => {
    const p = buildPrompt(mbpp('11'), 'deepseek_instruct');
    assert.ok(SYSTEM.startsWith('You are an AI programming assistant, utilizing the Deepseek Coder model'));
    assert.ok(p.startsWith(`${SYSTEM}\n### Instruction:\nPlease refer the given examples and generate a python function for my problem.\nExamples are listed as follows:\n- Example 1:\n>>> Problem:\n`));
    assert.ok(p.endsWith([
      'Here is my problem:',
      '>>> Problem:',
      'Write a python function to remove first and last occurrence of a given character from the string.',
      '>>> Test Cases:',
      'assert remove_Occ("hello","l") == "heo"',
      'assert remove_Occ("abcda","a") == "bcd"',
      'assert remove_Occ("PHP","P") == "H"',
      '',
      '### Response:',
      '',
    ].join('\n')));
    assert.equal(p.split(RESPONSE_MARKER).length, 2);
    assert.equal(p.split('### Instruction:').length, 2);
  });

  it('the three examples are MBPP tasks 2, 3, 4 read from the data file (\\r dropped, tabs as spaces)', () => {
    const ex = fewShotExamples();
    const blocks = ex.split('\n\n- Example ');
    assert.equal(blocks.length, 3);
    for (const [i, id] of ['2', '3', '4'].entries()) {
      const task = mbpp(id);
      const code = String(task.raw.code).replace(/\r/g, '').replace(/\t/g, '    ');
      const expected = `- Example ${i + 1}:\n>>> Problem:\n${task.statement}\n>>> Test Cases:\n${task.visibleTests.join('\n')}\n\n>>> Code:\n\`\`\`python\n${code}\n\`\`\``;
      assert.ok(ex.includes(expected), `example ${i + 1} (task ${id})`);
    }
    assert.ok(ex.includes('def similar_elements(test_tup1, test_tup2):') && ex.includes('def is_not_prime(n):') && ex.includes('def heap_queue_largest(nums,n):'));
    assert.ok(!ex.includes('\r'));
    assert.ok(buildPrompt(mbpp('11'), 'deepseek_instruct').includes(`Examples are listed as follows:\n${ex}\n\nHere is my problem:\n`));
  });

  it('v3FenceInstruction adds the fence instruction right after "Examples are listed as follows:"', () => {
    const plain = buildPrompt(mbpp('12'), 'deepseek_instruct');
    const v3 = buildPrompt(mbpp('12'), 'deepseek_instruct', { v3FenceInstruction: true });
    const fence = promptTemplate('v3_fence_instruction').trimEnd();
    assert.equal(fence.split('\n').length, 2);
    assert.equal(v3, plain.replace('Examples are listed as follows:\n', `Examples are listed as follows:\n${fence}\n`));
  });

  it('HumanEval: task text per §3.3 with the signature, helpers when the prompt has them, docstring asserts as tests', () => {
    const p0 = buildPrompt(he[0]!, 'deepseek_instruct');
    assert.ok(p0.includes('Here is my problem:\n>>> Problem:\nWrite a function that performs the following task: Check if in given list of numbers'));
    assert.ok(p0.includes('It should have the following function signature: def has_close_elements(numbers: List[float], threshold: float) -> bool:\n>>> Test Cases:\nassert has_close_elements([1.0, 2.0, 3.0], 0.5) == False\n'));
    assert.ok(!taskText(he[0]!).includes('already defined'));
    const t38 = taskText(he[38]!);
    assert.ok(t38.includes('def encode_cyclic(s: str):'));
    // No examples: the Test Cases section is left out rather than left empty.
    const p38 = buildPrompt(he[38]!, 'deepseek_instruct');
    assert.ok(!p38.slice(p38.indexOf('Here is my problem:')).includes('>>> Test Cases:'));
    assert.ok(p38.endsWith('```\n\n### Response:\n'));
  });
});

describe('long_code (instruction only)', { timeout: 60_000 }, () => {
  it('has the task, the tests, the style rules and four Incorrect/Correct pairs, then the marker', () => {
    const p = buildPrompt(mbpp('11'), 'long_code');
    assert.ok(p.startsWith(`${SYSTEM}\n### Instruction:\nWrite a python function to remove first and last occurrence of a given character from the string.\nWrite a Python function that satisfies the following test cases:\n>>> Test Cases:\nassert remove_Occ("hello","l") == "heo"\n`));
    assert.equal(p.match(/^Incorrect:$/gm)?.length, 4);
    assert.equal(p.match(/^Correct:$/gm)?.length, 4);
    assert.match(p, /list comprehensions, lambda functions, compact one-liners/);
    assert.ok(p.includes('term1 = ') && p.includes('term4 = '));
    assert.ok(p.endsWith('\n### Response:\n'));
    assert.ok(!p.includes('Example 1'));
    assert.ok(!p.includes('{{'));
  });

  it('v3FenceInstruction goes right after the "incremental execution and debugging" line', () => {
    const v3 = buildPrompt(mbpp('11'), 'long_code', { v3FenceInstruction: true });
    const fence = promptTemplate('v3_fence_instruction').trimEnd();
    assert.match(v3, /allowing \*\*incremental execution and debugging\*\*\.\n# Put every piece of Python code/);
    assert.equal(v3, buildPrompt(mbpp('11'), 'long_code').replace('debugging**.\n', `debugging**.\n${fence}\n`));
  });

  it('HumanEval without examples leaves the test section out', () => {
    const p = buildPrompt(he[38]!, 'long_code');
    assert.ok(!p.includes('satisfies the following test cases'));
  });
});

describe('prompt helpers', { timeout: 60_000 }, () => {
  it('baselinePrompt = deepseek_instruct', () => {
    assert.equal(baselinePrompt(mbpp('20')), buildPrompt(mbpp('20'), 'deepseek_instruct'));
    assert.equal(baselinePrompt(mbpp('20'), { v3FenceInstruction: true }), buildPrompt(mbpp('20'), 'deepseek_instruct', { v3FenceInstruction: true }));
  });

  it('parsePromptType lists the known types', () => {
    assert.deepEqual([...promptTypes], ['deepseek_instruct', 'long_code']);
    assert.equal(parsePromptType('long_code'), 'long_code');
    assert.throws(() => parsePromptType('chat'), { message: "unknown prompt type 'chat'; known prompt types: deepseek_instruct, long_code" });
  });

  it('renderTemplate fills once, drops empty placeholder lines, rejects unknown placeholders', () => {
    assert.equal(renderTemplate('a\n{{x}}\nb {{y}}\n', { x: '', y: '{{x}}' }), 'a\nb {{x}}\n');
    assert.equal(renderTemplate('a\n{{x}}\nb\n', { x: 'X' }), 'a\nX\nb\n');
    assert.throws(() => renderTemplate('{{nope}}', {}), /placeholder '\{\{nope\}\}' has no value/);
  });

  it('every MBPP test problem and every HumanEval problem renders both prompt types without leftover placeholders', () => {
    for (const p of [...mbppAll.filter((q) => q.split === 'test'), ...he]) {
      for (const t of promptTypes) {
        const s = buildPrompt(p, t);
        assert.ok(!/\{\{[a-z0-9_]+\}\}/.test(s.replace(p.statement, '')), `${p.taskId} ${t}`);
        assert.ok(s.endsWith(`\n${RESPONSE_MARKER}\n`));
      }
    }
  });
});

describe('insertSignal', { timeout: 60_000 }, () => {
  const base = buildPrompt(mbpp('11'), 'deepseek_instruct');

  it('puts the signal and a newline immediately before ### Response:', () => {
    const signal = '### Runtime Behavior for Candidate Continuations\n# Function:\ndef f(): pass';
    const out = insertSignal(base, signal);
    assert.equal(out, base.replace(`\n\n${RESPONSE_MARKER}\n`, `\n\n${signal}\n${RESPONSE_MARKER}\n`));
    assert.ok(out.startsWith(base.slice(0, base.indexOf(RESPONSE_MARKER)))); // the shared prefix is untouched (prefix caching)
  });

  it('keeps what follows the marker (reasoning prefix, code so far)', () => {
    const partial = `${base}\`\`\`python\ndef remove_Occ(s, ch):\n`;
    const out = insertSignal(partial, 'SIGNAL');
    assert.ok(out.endsWith(`\nSIGNAL\n${RESPONSE_MARKER}\n\`\`\`python\ndef remove_Occ(s, ch):\n`));
  });

  it('does not double a trailing newline; an empty signal changes nothing', () => {
    assert.equal(insertSignal(base, 'S\n'), insertSignal(base, 'S'));
    assert.equal(insertSignal(base, ''), base);
  });

  it('uses the first marker at a line start and throws when there is none', () => {
    const twice = `${base}x ### Response: y\n${RESPONSE_MARKER}\n`;
    assert.equal(insertSignal(twice, 'S').indexOf('S\n### Response:'), base.indexOf(RESPONSE_MARKER));
    assert.throws(() => insertSignal('no marker here', 'S'), /has no '### Response:' marker/);
    assert.throws(() => insertSignal('inline ### Response: only', 'S'), /has no '### Response:' marker/);
  });
});
