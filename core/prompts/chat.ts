// Chat-format prompts for instruct models, the way their authors and the EvalPlus leaderboard evaluate them: one user
// turn asking for a self-contained script in a markdown block (HumanEval: the function prompt; MBPP: the task text
// and its first test), then the assistant turn opened with a fixed response prefix that ends in ```python, rendered
// by the model's own chat template on the serving engine. The completion is the code; it stops at the closing fence.
import type { Problem } from '../datasets/types.ts';
import { promptTemplate, renderTemplate } from './index.ts';

export const promptFormats = ['chat', 'raw'] as const;
export type PromptFormat = (typeof promptFormats)[number];

export interface ChatPrompt {
  messages: Array<{ role: 'user' | 'system' | 'assistant'; content: string }>;
  /** Text appended after the rendered template: the start of the assistant's answer (ends with an open ```python fence). */
  responsePrefix: string;
}

/** The closing fence ends the answer (the prefix opened the block). */
export const CHAT_STOPS = ['\n```'];

/** The problem as EvalPlus shows it to a chat model. */
export function chatProblemText(problem: Problem): string {
  if (problem.promptCode !== undefined) return problem.promptCode.trim();
  const test = problem.visibleTests[0];
  return `"""\n${problem.statement.trim()}${test ? `\n${test}` : ''}\n"""`;
}

export function chatPrompt(problem: Problem): ChatPrompt {
  if (problem.io) {
    // A contest problem: a whole program that reads stdin and writes stdout, shown with its public examples.
    const examples = problem.visibleTests.length > 0 ? problem.visibleTests.join('\n\n') : '(none)';
    return {
      messages: [{ role: 'user', content: renderTemplate(promptTemplate('chat_contest_instruction'), { statement: problem.statement.trim(), examples }).replace(/\n$/, '') }],
      responsePrefix: '```python\n',
    };
  }
  const content = renderTemplate(promptTemplate('chat_instruction'), { problem: chatProblemText(problem) }).replace(/\n$/, '');
  return { messages: [{ role: 'user', content }], responsePrefix: promptTemplate('chat_response_prefix') };
}
