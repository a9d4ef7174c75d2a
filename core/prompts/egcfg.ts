// EG-CFG's base prompt: our texts (data/prompts/) or the authors' (a checkout given with --authors-prompts), and the
// fence instruction for the endpoint models it was written for. Their session manager inserts, for DeepSeek-V3-0324
// (and, with its own wording, Qwen3-235B-A22B, whose prompt also gets "Deepseek" renamed), an instruction to put all
// code in ```python fences with the final answer last, on a new line right after the phrase that ends the long_code
// prompt's paragraph on incremental execution, or after "Examples are listed as follows:" in deepseek_instruct.
import type { Problem } from '../datasets/types.ts';
import { parseEntryFunction } from '../datasets/humaneval.ts';
import { buildPrompt, contestPrompt, type PromptType } from './index.ts';
import type { AuthorsPrompts } from './authors.ts';
import { pyFormat } from '../egcfg/pyrepr.ts';

export const fenceInstructionModes = ['auto', 'on', 'off'] as const;
export type FenceInstructionMode = (typeof fenceInstructionModes)[number];

/** The model families the authors wrote a fence instruction for. */
export type FenceFamily = 'deepseek-v3' | 'qwen3';

/** Which fence instruction a model gets under `auto`: the authors' two endpoint models (any spelling of the name). */
export function fenceFamilyOf(modelName: string): FenceFamily | null {
  if (/deepseek[-_ ]?v3/i.test(modelName)) return 'deepseek-v3';
  if (/qwen3[-_ ]?235b/i.test(modelName)) return 'qwen3';
  return null;
}

/** The family whose instruction is inserted: `auto` by the model name, `on` forces it (DeepSeek-V3's unless the name says Qwen3), `off` never. */
export function fenceFamilyFor(mode: FenceInstructionMode, modelName: string): FenceFamily | null {
  if (mode === 'off') return null;
  const family = fenceFamilyOf(modelName);
  return mode === 'on' ? family ?? 'deepseek-v3' : family;
}

/** Where the fence instruction goes: after the first of these phrases that the prompt holds (every occurrence of it). */
const FENCE_ANCHORS = ['incremental execution and debugging**', 'Examples are listed as follows:'];

/** The authors' insertion: `anchor` becomes `anchor + "\n" + instruction`; a prompt with neither anchor is unchanged. */
export function insertFenceInstruction(prompt: string, instruction: string): string {
  const anchor = FENCE_ANCHORS.find((a) => prompt.includes(a));
  return anchor === undefined ? prompt : prompt.split(anchor).join(`${anchor}\n${instruction}`);
}

/** Their Qwen3 prompts name the model: "Deepseek Coder" → "Qwen3", then "Deepseek" → "Qwen". */
export function renameForQwen3(prompt: string): string {
  return prompt.split('Deepseek Coder').join('Qwen3').split('Deepseek').join('Qwen');
}

const testsText = (p: Problem): string => p.visibleTests.join('\n');

/** HumanEval's task text in the authors' template (signature without its `def `), stripped as theirs. */
function authorsHumanEvalText(p: Problem, a: AuthorsPrompts): string {
  const fn = parseEntryFunction(p.promptCode!, p.entryPoint);
  if (!fn) throw new Error(`${p.dataset} ${p.taskId}: prompt does not define '${p.entryPoint}'`);
  const signature = fn.signature.replace(/^def\s+/, '').trim();
  return pyFormat(a.texts.HUMANEVAL_INSTRUCTION_TEMPLATE, { instruction: p.statement, function_signature: signature }).trim();
}

/** The task text as the authors pass it: MBPP's `text` as published (untrimmed), HumanEval's template. */
function authorsTaskText(p: Problem, a: AuthorsPrompts): string {
  if (p.promptCode !== undefined) return authorsHumanEvalText(p, a);
  return typeof p.raw.text === 'string' ? p.raw.text : p.statement;
}

/**
 * The base prompt from the authors' texts, built as their datasets_utils does: long_code = LONG_CODE_INSTRUCTION_TEXT
 * (TEST_CASES_INSTRUCTION removed when there are no tests); deepseek_instruct = their MBPP prompt file's entry for
 * MBPP, DEEPSEEK_INSTRUCT_TEMPLATE otherwise (">>>>" → ">>>"; its test-case block removed when there are none).
 * Stdin/stdout problems keep our contest prompt (see core/egcfg/README.md).
 */
export function authorsBasePrompt(problem: Problem, type: PromptType, a: AuthorsPrompts): string {
  if (problem.io) return contestPrompt(problem);
  const t = a.texts;
  const tests = testsText(problem);
  const problemText = authorsTaskText(problem, a);
  if (type === 'long_code') {
    if (tests !== '') return pyFormat(t.LONG_CODE_INSTRUCTION_TEXT, { problem_text: problemText, test_cases: tests });
    return pyFormat(t.LONG_CODE_INSTRUCTION_TEXT.split(t.TEST_CASES_INSTRUCTION).join(''), { problem_text: problemText });
  }
  if (problem.dataset === 'mbpp' || problem.dataset === 'mbpp-et') {
    const p = a.mbpp[problem.taskId];
    if (p === undefined) throw new Error(`--authors-prompts ${a.dir}: data/deepseek_mbpp_prompts/mbpp_instruct_prompts.json has no prompt for MBPP task ${problem.taskId}`);
    return p;
  }
  if (tests !== '') return pyFormat(t.DEEPSEEK_INSTRUCT_TEMPLATE, { problem_text: problemText, test_cases: tests }).split('>>>>').join('>>>');
  return pyFormat(t.DEEPSEEK_INSTRUCT_TEMPLATE.split(t.DEEPSEEK_INSTRUCT_TESTCASES_INSTRUCTION_TMP).join(''), { problem_text: problemText });
}

export interface EgcfgPromptOptions {
  /** The authors' texts (--authors-prompts), or our own when absent. */
  authors?: AuthorsPrompts | undefined;
  /** The served model's name (decides the fence instruction under `auto`). */
  model: string;
  fence: FenceInstructionMode;
}

export interface EgcfgBasePrompt {
  /** What is sent: with the fence instruction when the model gets one. */
  prompt: string;
  /** The same prompt before the fence instruction (and Qwen3 renaming): what the authors' conditional side is built from. */
  withoutFence: string;
  fence: FenceFamily | null;
}

/** EG-CFG's base prompt for a problem and agent prompt type. */
export function egcfgBasePrompt(problem: Problem, type: PromptType, o: EgcfgPromptOptions): EgcfgBasePrompt {
  const fence = problem.io ? null : fenceFamilyFor(o.fence, o.model);
  if (!o.authors) {
    const withoutFence = buildPrompt(problem, type);
    if (fence === null) return { prompt: withoutFence, withoutFence, fence };
    const fenced = buildPrompt(problem, type, { v3FenceInstruction: true });
    return { prompt: fence === 'qwen3' ? renameForQwen3(fenced) : fenced, withoutFence, fence };
  }
  const withoutFence = authorsBasePrompt(problem, type, o.authors);
  if (fence === null) return { prompt: withoutFence, withoutFence, fence };
  const base = fence === 'qwen3' ? renameForQwen3(withoutFence) : withoutFence;
  const instruction = fence === 'qwen3' ? o.authors.texts.PYTHON_CODE_TAGS_USAGE_INSTRUCTION_QWEN : o.authors.texts.PYTHON_CODE_TAGS_USAGE_INSTRUCTION_DS;
  return { prompt: insertFenceInstruction(base, instruction), withoutFence, fence };
}
