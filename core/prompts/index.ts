// Prompt builders (DeepSeek-Coder instruct raw-completion format) from the templates in data/prompts/*.txt.
import { readFileSync } from 'node:fs';
import { repoPath } from '../repo.ts';
import { loadDatasetSync } from '../datasets/load.ts';
import { parseEntryFunction } from '../datasets/humaneval.ts';
import type { Problem } from '../datasets/types.ts';

export const promptTypes = ['deepseek_instruct', 'long_code'] as const;
export type PromptType = (typeof promptTypes)[number];

export interface PromptOptions {
  /** Insert the DeepSeek-V3 instruction (code in ```python fences, final answer = last block), as the authors did for V3. */
  v3FenceInstruction?: boolean;
}

/** The marker that ends the instruction; the dynamic signal goes right before it. */
export const RESPONSE_MARKER = '### Response:';

/** MBPP task ids of the three few-shot examples of deepseek_instruct (the official DeepSeek-Coder MBPP prompt). */
export const FEW_SHOT_TASK_IDS = ['2', '3', '4'] as const;

export function parsePromptType(s: string): PromptType {
  if ((promptTypes as readonly string[]).includes(s)) return s as PromptType;
  throw new Error(`unknown prompt type '${s}'; known prompt types: ${promptTypes.join(', ')}`);
}

const templateCache = new Map<string, string>();

/** A template file from data/prompts/, verbatim. */
export function promptTemplate(name: string): string {
  let t = templateCache.get(name);
  if (t === undefined) {
    t = readFileSync(repoPath('data', 'prompts', `${name}.txt`), 'utf8');
    templateCache.set(name, t);
  }
  return t;
}

/** A template used as a fragment inside another one: without its final newline. */
const fragment = (name: string): string => promptTemplate(name).replace(/\n$/, '');

/**
 * Fill `{{name}}` placeholders in one pass (values are not expanded again). A line holding only a placeholder whose
 * value is empty disappears with its newline. Unknown placeholders are an error.
 */
export function renderTemplate(template: string, values: Record<string, string>): string {
  const get = (name: string): string => {
    const v = values[name];
    if (v === undefined) throw new Error(`prompt template placeholder '{{${name}}}' has no value`);
    return v;
  };
  const withoutEmptyLines = template.replace(/^\{\{([a-z0-9_]+)\}\}\n/gm, (whole, name: string) => (get(name) === '' ? '' : whole));
  return withoutEmptyLines.replace(/\{\{([a-z0-9_]+)\}\}/g, (_m, name: string) => get(name));
}

let fewShotCache: string | undefined;

/** The three worked examples (MBPP tasks 2, 3, 4 read from the shipped MBPP file; `\r` dropped, tabs as 4 spaces). */
export function fewShotExamples(): string {
  if (fewShotCache !== undefined) return fewShotCache;
  const prompts = loadDatasetSync('mbpp', { split: 'prompt' });
  const rendered = FEW_SHOT_TASK_IDS.map((id, i) => {
    const p = prompts.find((q) => q.taskId === id);
    if (!p) throw new Error(`few-shot example MBPP task ${id} is missing from the MBPP file`);
    const code = String(p.raw.code).replace(/\r/g, '').replace(/\t/g, '    ');
    return renderTemplate(promptTemplate('deepseek_instruct_example'), {
      number: String(i + 1),
      text: p.statement,
      tests: p.visibleTests.join('\n'),
      code,
    }).replace(/\n$/, '');
  });
  fewShotCache = rendered.join('\n\n');
  return fewShotCache;
}

/**
 * The task text (§3.3): MBPP `text`; HumanEval "Write a function that performs the following task: <docstring>
 * It should have the following function signature: <signature>", plus the prompt's helper code when it has helpers.
 */
export function taskText(problem: Problem): string {
  if (problem.promptCode === undefined) return problem.statement;
  const fn = parseEntryFunction(problem.promptCode, problem.entryPoint);
  if (!fn) throw new Error(`${problem.dataset} ${problem.taskId}: prompt does not define '${problem.entryPoint}'`);
  const text = renderTemplate(fragment('humaneval_task'), { description: problem.statement, signature: fn.signature });
  if (!/^\s*(?:def|class)\s/m.test(fn.preamble)) return text;
  return `${text}\n${renderTemplate(fragment('humaneval_context'), { preamble: fn.preamble.trim() })}`;
}

/** Build a base prompt. It ends with `### Response:` and a newline; the model answers with a ```python block. */
export function buildPrompt(problem: Problem, type: PromptType, opts: PromptOptions = {}): string {
  const v3 = opts.v3FenceInstruction ? fragment('v3_fence_instruction') : '';
  if (problem.io) return contestPrompt(problem, v3);
  const tests = problem.visibleTests.join('\n');
  switch (type) {
    case 'deepseek_instruct': {
      const problemBlock = renderTemplate(promptTemplate('deepseek_instruct_problem'), {
        text: taskText(problem).trim(),
        tests_section: tests === '' ? '' : `>>> Test Cases:\n${tests}`,
      });
      return renderTemplate(promptTemplate('deepseek_instruct'), {
        system: fragment('system'),
        v3_fence_instruction: v3,
        examples: fewShotExamples(),
        problem: problemBlock,
      });
    }
    case 'long_code':
      return renderTemplate(promptTemplate('long_code'), {
        system: fragment('system'),
        task: taskText(problem).trim(),
        tests_section: tests === '' ? '' : renderTemplate(fragment('long_code_tests'), { tests }),
        v3_fence_instruction: v3,
      });
    default:
      throw new Error(`unknown prompt type '${String(type)}'; known prompt types: ${promptTypes.join(', ')}`);
  }
}

/**
 * Stdin/stdout problems (CodeContests), whatever the prompt type: the statement, the visible examples (the first three
 * public tests, as the authors), and the request for one whole Python 3 program. Ends with `### Response:`.
 */
export function contestPrompt(problem: Problem, v3 = ''): string {
  return renderTemplate(promptTemplate('codecontests'), {
    system: fragment('system'),
    v3_fence_instruction: v3,
    statement: problem.statement,
    examples: problem.visibleTests.length > 0 ? problem.visibleTests.join('\n\n') : '(none)',
  });
}

/** The prompt of plain baseline campaigns: the deepseek_instruct prompt. */
export function baselinePrompt(problem: Problem, opts: PromptOptions = {}): string {
  return buildPrompt(problem, 'deepseek_instruct', opts);
}

/**
 * The conditional (dynamic-signal) prompt: the signal text and a newline inserted immediately before the first
 * `### Response:` marker that starts a line (§3.4). Anything after the marker (reasoning prefix, code so far) is kept.
 * An empty signal returns the prompt unchanged. Throws when the marker is missing.
 */
export function insertSignal(prompt: string, signalText: string): string {
  const at = prompt.startsWith(RESPONSE_MARKER) ? 0 : prompt.indexOf(`\n${RESPONSE_MARKER}`) + 1;
  if (at <= 0 && !prompt.startsWith(RESPONSE_MARKER)) {
    throw new Error(`insertSignal: the prompt has no '${RESPONSE_MARKER}' marker at the start of a line`);
  }
  if (signalText === '') return prompt;
  const signal = signalText.endsWith('\n') ? signalText : `${signalText}\n`;
  return prompt.slice(0, at) + signal + prompt.slice(at);
}
