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
}

export function generationPrompts(problem: Problem, promptType: PromptType, params: EgcfgParams, modelName: string): GenerationPrompts {
  const authors = params.prompts ? authorsTexts(params.prompts) : undefined;
  const base = egcfgBasePrompt(problem, promptType, { authors, model: modelName, fence: params.fenceInstruction ?? 'off' });
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
}

/** The prompt fields of a stored generation config, or of a freshly built GenerationPrompts (to store). */
export function promptsConfigOf(c: object): PromptsConfig {
  const x = c as PromptsConfig;
  return {
    ...(x.prompts !== undefined ? { prompts: x.prompts } : {}), ...(x.fence !== undefined ? { fence: x.fence } : {}),
    ...(x.forcedName !== undefined ? { forcedName: x.forcedName } : {}), ...(x.traceFormat !== undefined ? { traceFormat: x.traceFormat } : {}),
    ...(x.condBase !== undefined ? { condBase: x.condBase } : {}),
  };
}

/** The signal templates of a generation: the authors' when it uses their texts, else none (ours, core/egcfg/signal.ts). */
export function signalTextsOf(prompts: GenerationPrompts['prompts'] | undefined): SignalTexts | undefined {
  return prompts && prompts.source === 'authors' ? authorsSignalTexts(authorsTexts(prompts)) : undefined;
}
