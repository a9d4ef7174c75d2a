// Which texts an EG-CFG generation uses (ours, or the authors' from --authors-prompts), resolved once when the
// generation row is written and recorded in its config; the signal step reads the same texts back by their checkout
// path and refuses texts that changed since (their sha256 is in the campaign's params).
import { ApplicationFailure } from '@temporalio/common';
import { authorsSignalTexts, loadAuthorsPrompts, type AuthorsPrompts } from '../../core/prompts/authors.ts';
import { egcfgBasePrompt } from '../../core/prompts/egcfg.ts';
import type { PromptType } from '../../core/prompts/index.ts';
import { forcedFunctionName } from '../../core/egcfg/forced-name.ts';
import type { SignalTexts } from '../../core/egcfg/signal.ts';
import type { Problem } from '../../core/datasets/types.ts';
import type { EgcfgParams } from '../../core/contracts.ts';
import type { ChatFrame } from '../../core/egcfg/chat-prompt.ts';

export type PromptsRef = NonNullable<EgcfgParams['prompts']>;

/** The authors' texts of a campaign, checked against the sha256 recorded when it started. */
export function authorsTexts(ref: PromptsRef): AuthorsPrompts {
  let a: AuthorsPrompts;
  try { a = loadAuthorsPrompts(ref.dir); } catch (e) {
    throw ApplicationFailure.nonRetryable(`the authors' prompts of this campaign cannot be read on this worker: ${(e as Error).message}`, 'EgcfgAuthorsPrompts');
  }
  if (a.sha256 !== ref.sha256) {
    throw ApplicationFailure.nonRetryable(`the authors' prompts in ${ref.dir} changed since the campaign started (sha256 ${a.sha256.slice(0, 12)}, recorded ${ref.sha256.slice(0, 12)})`, 'EgcfgAuthorsPrompts');
  }
  return a;
}

/** What a generation records about its prompts (in egcfg_generations.config). */
export interface GenerationPrompts {
  basePrompt: string;
  /** 'authors' with the checkout, or 'ours'. */
  prompts: PromptsRef | { source: 'ours' };
  fence: 'deepseek-v3' | 'qwen3' | null;
  /** The function forced after the reasoning prefix. */
  forcedName: string;
  traceFormat: 'authors' | 'python';
  /** --cond-prompt authors-quirk with a fenced prompt: the prompt without the instruction (core/egcfg/cond-quirk.ts). */
  condBase?: string;
  /**
   * --prompt-format chat (core/egcfg/chat-prompt.ts): the response prefix and the conditional side's rendered text
   * around the signal; `basePrompt` is then the unconditional side rendered by the model's template. Absent: raw.
   */
  chat?: ChatFrame;
}

/** The prompt texts of a generation; in chat format the raw prompt here is what the user turn is cut from (chat-render.ts). */
export function generationPrompts(problem: Problem, promptType: PromptType, params: EgcfgParams, modelName: string): GenerationPrompts {
  const authors = params.prompts ? authorsTexts(params.prompts) : undefined;
  // Chat format: no fence instruction (the response prefix opens the block, its closing fence ends the answer);
  // the campaign refuses --fence-instruction on and --cond-prompt authors-quirk with it (campaigns/egcfg-chat.ts).
  const fence = params.promptFormat === 'chat' ? 'off' : params.fenceInstruction ?? 'off';
  const base = egcfgBasePrompt(problem, promptType, { authors, model: modelName, fence });
  return {
    basePrompt: base.prompt,
    prompts: params.prompts ?? { source: 'ours' },
    fence: base.fence,
    forcedName: forcedFunctionName(params.forcedName ?? 'entry-point', problem),
    traceFormat: params.traceFormat ?? 'python',
    ...(params.condPrompt === 'authors-quirk' && base.fence !== null ? { condBase: base.withoutFence } : {}),
  };
}

/** What a generation's config records about its prompts (absent in older rows: ours, no fence, the entry point, python). */
export interface PromptsConfig {
  prompts?: GenerationPrompts['prompts'];
  fence?: GenerationPrompts['fence'];
  forcedName?: string;
  traceFormat?: GenerationPrompts['traceFormat'];
  condBase?: string;
  chat?: ChatFrame;
}

/** The prompt fields of a stored generation config, or of a freshly built GenerationPrompts (to store). */
export function promptsConfigOf(c: object): PromptsConfig {
  const x = c as PromptsConfig;
  return {
    ...(x.prompts !== undefined ? { prompts: x.prompts } : {}), ...(x.fence !== undefined ? { fence: x.fence } : {}),
    ...(x.forcedName !== undefined ? { forcedName: x.forcedName } : {}), ...(x.traceFormat !== undefined ? { traceFormat: x.traceFormat } : {}),
    ...(x.condBase !== undefined ? { condBase: x.condBase } : {}), ...(x.chat !== undefined ? { chat: x.chat } : {}),
  };
}

/** The text the assistant turn opens with before the model writes (chat: the response prefix); '' for raw prompts. */
export function chatLead(cfg: object): string {
  return promptsConfigOf(cfg).chat?.responsePrefix ?? '';
}

/** The signal templates of a generation: the authors' when it uses their texts, else none (ours, core/egcfg/signal.ts). */
export function signalTextsOf(prompts: GenerationPrompts['prompts'] | undefined): SignalTexts | undefined {
  return prompts && prompts.source === 'authors' ? authorsSignalTexts(authorsTexts(prompts)) : undefined;
}
