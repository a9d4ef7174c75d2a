// --authors-prompts DIR: the authors' prompt texts read from a checkout of their repository, validated and used as
// their code uses them. Runs on test/fixtures/authors-prompts/, a hand-made checkout with their file layout and
// constant names but placeholder texts of our own (none of their text is in this repository).
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadDataset, type Problem } from '../../core/datasets/index.ts';
import {
  AUTHORS_CONSTS_FILE, AUTHORS_MBPP_PROMPTS_FILE, AuthorsPromptsError, authorsLabel, authorsSignalTexts, gitHead, loadAuthorsPrompts, promptsLabelText,
} from '../../core/prompts/authors.ts';
import { authorsBasePrompt, egcfgBasePrompt, fenceFamilyFor, insertFenceInstruction } from '../../core/prompts/egcfg.ts';
import { buildPrompt } from '../../core/prompts/index.ts';
import { renderPartialSignal, renderSignal } from '../../core/egcfg/signal.ts';
import { repoPath } from '../../core/repo.ts';
import { summaryMarkdown } from '../../cli/output.ts';

const FIXTURE = repoPath('test', 'fixtures', 'authors-prompts');
const a = loadAuthorsPrompts(FIXTURE);
const mbppAll = await loadDataset('mbpp', { split: 'all' });
const mbpp = (id: string): Problem => mbppAll.find((p) => p.taskId === id)!;
const he = await loadDataset('humaneval');
const heTask = (id: string): Problem => he.find((p) => p.taskId === id)!;

function copyFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'h11c-authors-'));
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

describe('loading a checkout', { timeout: 60_000 }, () => {
  it('reads the string constants as Python evaluates them (escapes, raw strings, concatenation, comments)', () => {
    assert.equal(a.texts.MULTIPLE_CANDIDATES_DYNAMIC_SIGNAL_PATTERN, '\n# F:\n{function_code}\n# I:\n{test_case}\n# T:\n{trace}\n');
    assert.equal(a.texts.MULTIPLE_CANDIDATES_DYNAMIC_SIGNAL_PROMPT, '\n### PLACEHOLDER CANDIDATES HEADER\nPLACEHOLDER INTRO\tTAB\n\n{dynamic_signals}\n');
    assert.equal(a.texts.PARTIAL_EXECUTION_DYNAMIC_SIGNAL_PROMPT, '\n### PLACEHOLDER PARTIAL HEADER \\n stays raw\n{dynamic_signals}\n');
    assert.equal(a.texts.PYTHON_CODE_TAGS_USAGE_INSTRUCTION_QWEN, '# PLACEHOLDER FENCES (qwen) second part.\n# last part <endoftext>');
    assert.equal(a.texts.PYTHON_CODE_TAGS_USAGE_INSTRUCTION_DS, '# PLACEHOLDER FENCES (ds)\n# last part \u00e9');
    assert.ok(a.texts.LONG_CODE_INSTRUCTION_TEXT.startsWith('PLACEHOLDER SYSTEM LINE\n### Instruction:\n{problem_text}\n')); // """\ continues the line
    assert.equal(a.mbpp['11'], 'PLACEHOLDER MBPP 11 PROMPT\nPLACEHOLDER: Examples are listed as follows:\n### Response:\n');
    assert.equal(a.commit, null, 'the fixture is not a git checkout');
    assert.match(a.sha256, /^[0-9a-f]{64}$/);
  });

  it('a missing file is an error naming the file and the expected layout', () => {
    const dir = copyFixture();
    try {
      rmSync(join(dir, AUTHORS_MBPP_PROMPTS_FILE));
      assert.throws(() => loadAuthorsPrompts(dir), (e: Error) => e instanceof AuthorsPromptsError
        && e.message.includes(`missing file ${AUTHORS_MBPP_PROMPTS_FILE}`) && e.message.includes(`Expected a checkout of github.com/boazlavon/eg_cfg with ${AUTHORS_CONSTS_FILE}`));
      rmSync(join(dir, AUTHORS_CONSTS_FILE));
      assert.throws(() => loadAuthorsPrompts(dir), /missing file eg_cfg\/consts\.py/);
      assert.throws(() => loadAuthorsPrompts(join(dir, 'nope')), /not a directory/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('a missing or non-literal constant is an error naming it; a bad MBPP prompt file too', () => {
    const dir = copyFixture();
    try {
      const consts = join(dir, AUTHORS_CONSTS_FILE);
      writeFileSync(consts, 'TEST_CASES_INSTRUCTION = """x"""\n');
      assert.throws(() => loadAuthorsPrompts(dir), /LONG_CODE_INSTRUCTION_TEXT is not defined/);
      writeFileSync(consts, 'LONG_CODE_INSTRUCTION_TEXT = f"{x}"\n');
      assert.throws(() => loadAuthorsPrompts(dir), /LONG_CODE_INSTRUCTION_TEXT: an f-string/);
      cpSync(join(FIXTURE, AUTHORS_CONSTS_FILE), consts);
      writeFileSync(join(dir, AUTHORS_MBPP_PROMPTS_FILE), '["not", "an object"]');
      assert.throws(() => loadAuthorsPrompts(dir), /mbpp_instruct_prompts\.json is not a JSON object/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it("a git checkout is labelled with its HEAD commit (loose ref, packed ref, detached)", () => {
    const dir = copyFixture();
    try {
      const sha = 'a'.repeat(40);
      mkdirSync(join(dir, '.git', 'refs', 'heads'), { recursive: true });
      writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
      writeFileSync(join(dir, '.git', 'refs', 'heads', 'main'), `${sha}\n`);
      assert.equal(gitHead(dir), sha);
      rmSync(join(dir, '.git', 'refs', 'heads', 'main'));
      writeFileSync(join(dir, '.git', 'packed-refs'), `# pack-refs with: peeled\n${'b'.repeat(40)} refs/heads/main\n`);
      assert.equal(gitHead(dir), 'b'.repeat(40));
      writeFileSync(join(dir, '.git', 'HEAD'), `${'c'.repeat(40)}\n`);
      const p = loadAuthorsPrompts(dir);
      assert.equal(p.commit, 'c'.repeat(40));
      assert.equal(promptsLabelText(authorsLabel(p)), `authors (${dir}, ${'c'.repeat(40)})`);
      assert.equal(promptsLabelText({ source: 'ours' }), 'ours');
      assert.equal(promptsLabelText(authorsLabel(a)), `authors (${FIXTURE})`);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

describe('prompts built from their texts, as their datasets_utils builds them', { timeout: 60_000 }, () => {
  it('long_code: MBPP text as published and the asserts joined by newlines; {{ }} become braces', () => {
    const p = mbpp('11');
    assert.equal(authorsBasePrompt(p, 'long_code', a), [
      'PLACEHOLDER SYSTEM LINE', '### Instruction:', String(p.raw.text), '', 'PLACEHOLDER TESTS HEADER', '>>> Test Cases:',
      ...p.visibleTests, '', 'PLACEHOLDER STYLE: write for incremental execution and debugging**.', 'Use {braces} literally.', '### Response:', '',
    ].join('\n'));
  });

  it('long_code without tests drops TEST_CASES_INSTRUCTION (a HumanEval task without docstring examples)', () => {
    const p = he.find((x) => x.visibleTests.length === 0)!;
    const out = authorsBasePrompt(p, 'long_code', a);
    assert.ok(!out.includes('PLACEHOLDER TESTS HEADER'));
    assert.ok(out.includes('### Instruction:\nTASK: '));
    assert.ok(out.includes('\n\nPLACEHOLDER STYLE'));
  });

  it('deepseek_instruct: MBPP from their prompt file; HumanEval from the template, signature without def, >>>> -> >>>', () => {
    assert.equal(authorsBasePrompt(mbpp('11'), 'deepseek_instruct', a), a.mbpp['11']);
    assert.throws(() => authorsBasePrompt(mbpp('13'), 'deepseek_instruct', a), /has no prompt for MBPP task 13/);
    const h = heTask('HumanEval/0');
    const out = authorsBasePrompt(h, 'deepseek_instruct', a);
    assert.ok(out.includes('>>> Problem:\nTASK: '));
    assert.ok(out.includes('\nSIGNATURE: has_close_elements(numbers: List[float], threshold: float) -> bool:\n>>> Test Cases:\n'));
    assert.ok(!out.includes('>>>>'));
    assert.ok(out.includes(h.visibleTests.join('\n')));
  });
});

describe('the fence instruction, for the models it was written for', { timeout: 60_000 }, () => {
  it('auto: DeepSeek-V3 and Qwen3-235B only; on/off', () => {
    assert.equal(fenceFamilyFor('auto', 'deepseek-ai/DeepSeek-V3-0324'), 'deepseek-v3');
    assert.equal(fenceFamilyFor('auto', 'accounts/fireworks/models/deepseek-v3-0324'), 'deepseek-v3');
    assert.equal(fenceFamilyFor('auto', 'Qwen/Qwen3-235B-A22B'), 'qwen3');
    assert.equal(fenceFamilyFor('auto', 'qwen2.5-coder-0.5b-instruct'), null);
    assert.equal(fenceFamilyFor('auto', 'deepseek-ai/deepseek-coder-1.3b-instruct'), null);
    assert.equal(fenceFamilyFor('on', 'smollm2-135m-instruct'), 'deepseek-v3');
    assert.equal(fenceFamilyFor('off', 'deepseek-ai/DeepSeek-V3-0324'), null);
  });

  it("inserted on a new line right after the anchor phrase (mid-line for long_code, as their str.replace does)", () => {
    const v3 = egcfgBasePrompt(mbpp('11'), 'long_code', { authors: a, model: 'DeepSeek-V3-0324', fence: 'auto' });
    assert.equal(v3.fence, 'deepseek-v3');
    assert.ok(v3.prompt.includes('incremental execution and debugging**\n# PLACEHOLDER FENCES (ds)\n# last part \u00e9.\nUse {braces}'));
    assert.equal(v3.withoutFence, authorsBasePrompt(mbpp('11'), 'long_code', a));
    const ds = egcfgBasePrompt(mbpp('11'), 'deepseek_instruct', { authors: a, model: 'DeepSeek-V3-0324', fence: 'auto' });
    assert.equal(ds.prompt, 'PLACEHOLDER MBPP 11 PROMPT\nPLACEHOLDER: Examples are listed as follows:\n# PLACEHOLDER FENCES (ds)\n# last part \u00e9\n### Response:\n');
    assert.equal(insertFenceInstruction('no anchor here\n### Response:\n', 'X'), 'no anchor here\n### Response:\n');
  });

  it('Qwen3: its own instruction, and the prompt renamed Deepseek Coder -> Qwen3, Deepseek -> Qwen (not the conditional base)', () => {
    const q = egcfgBasePrompt(heTask('HumanEval/0'), 'deepseek_instruct', { authors: a, model: 'Qwen/Qwen3-235B-A22B', fence: 'auto' });
    assert.ok(q.prompt.startsWith('PLACEHOLDER SYSTEM LINE (Qwen3)\n'));
    assert.ok(q.prompt.includes('Examples are listed as follows:\n# PLACEHOLDER FENCES (qwen) second part.\n# last part <endoftext>\n- Example 1'));
    assert.ok(q.withoutFence.startsWith('PLACEHOLDER SYSTEM LINE (Deepseek Coder)\n'));
  });

  it('our texts without a checkout: our fence instruction for the same models, none for others', () => {
    const ours = egcfgBasePrompt(mbpp('11'), 'deepseek_instruct', { model: 'deepseek-ai/DeepSeek-V3-0324', fence: 'auto' });
    assert.equal(ours.prompt, buildPrompt(mbpp('11'), 'deepseek_instruct', { v3FenceInstruction: true }));
    assert.equal(ours.withoutFence, buildPrompt(mbpp('11'), 'deepseek_instruct'));
    const plain = egcfgBasePrompt(mbpp('11'), 'long_code', { model: 'qwen2.5-coder-0.5b-instruct', fence: 'auto' });
    assert.equal(plain.prompt, buildPrompt(mbpp('11'), 'long_code'));
    assert.equal(plain.fence, null);
  });
});

describe("the dynamic signal in their templates", { timeout: 60_000 }, () => {
  it('entries formatted with their pattern, joined by a newline, wrapped in their introduction; nothing trimmed', () => {
    const texts = authorsSignalTexts(a);
    const s = renderSignal([
      { candidate: 'def f(x):\n    return x', invocation: 'f(1)', trace: '== {} , {}\nLINE: return x' },
      { candidate: 'def f(x):\n    return x', invocation: 'f(2)', trace: '' },
      { candidate: 'def f(x):\n    y = x', invocation: 'f(1)', trace: 'T2' },
    ], texts);
    assert.equal(s, '\n### PLACEHOLDER CANDIDATES HEADER\nPLACEHOLDER INTRO\tTAB\n\n'
      + '\n# F:\ndef f(x):\n    return x\n# I:\nf(1)\n# T:\n== {} , {}\nLINE: return x\n'
      + '\n'
      + '\n# F:\ndef f(x):\n    y = x\n# I:\nf(1)\n# T:\nT2\n'
      + '\n');
    assert.equal(renderSignal([], texts), '');
    assert.equal(renderPartialSignal([{ invocation: 'f(1)', trace: 'T' }], texts), '\n### PLACEHOLDER PARTIAL HEADER \\n stays raw\n\n# I: f(1)\n# T: T\n\n');
  });
});

describe('tables say which prompts ran', { timeout: 60_000 }, () => {
  it('summary.md carries the label: ours, or authors (<dir>, <commit>)', () => {
    const line = { campaign_id: 'c', dataset: 'mbpp', method: 'eg-cfg', model: 'm', simulated: false, problems: 1, passed: 1, pass_at_1: 1, output_dir: '/o', database: 'db' };
    const label = promptsLabelText({ source: 'authors', dir: '/src/eg_cfg', commit: '639abe9e', sha256: 'x' });
    assert.equal(label, 'authors (/src/eg_cfg, 639abe9e)');
    assert.match(summaryMarkdown({ ...line, prompts: label }), /\nPrompts: authors \(\/src\/eg_cfg, 639abe9e\)\n/);
    assert.match(summaryMarkdown({ ...line, prompts: 'ours' }), /\nPrompts: ours\n/);
  });
});
