// The prompts of a generation as token ids (issue 11 item 7): the fixed part (base prompt, with the signal for the
// conditional side, + reasoning prefix) tokenized once, then the ids the model chose for the text generated so far
// (StoredState.ids). Every call that continues the generation — the decode calls and the candidate requests — sends
// these ids, so the prompt continues the model's own token sequence instead of a re-tokenization of its text.
// In chat format (core/egcfg/chat-prompt.ts) the fixed parts are the model's template rendered by the server (the
// conditional side with the signal in its user turn), the reasoning prefix opening the assistant turn.
import type { GenerationState } from '../../core/egcfg/index.ts';
import { insertSignal } from '../../core/egcfg/signal.ts';
import { conditionalBase, type ChatFrame } from '../../core/egcfg/chat-prompt.ts';
import { quirkConditionalIds } from '../../core/egcfg/cond-quirk.ts';
import type { EgcfgModel } from './model.ts';

export type Side = 'uncond' | 'cond';

/** The texts a generation's prompts are built from: the base prompt (chat: the rendered unconditional side) and, in chat format, the frame. */
export interface PromptFrame {
  basePrompt: string;
  chat?: ChatFrame | undefined;
}

const frameOf = (f: string | PromptFrame): PromptFrame => (typeof f === 'string' ? { basePrompt: f } : f);

/** The fixed part's text of one side: the base prompt (with the signal for 'cond': conditionalBase) + the reasoning prefix. */
export function fixedText(frame: string | PromptFrame, s: GenerationState, side: Side, signal: string | null = s.signal): string {
  const f = frameOf(frame);
  const base = side === 'uncond' ? f.basePrompt : conditionalBase(f.basePrompt, signal ?? '', f.chat);
  return base + s.prefix;
}

/**
 * --cond-prompt authors-quirk (core/egcfg/cond-quirk.ts): the conditional fixed part as the authors' code builds it for
 * a fenced prompt: `condBase` (the prompt without the fence instruction) with the signal, then the unconditional
 * fixed part's tokens from condBase's token length on.
 */
async function quirkIds(model: EgcfgModel, condBase: string, basePrompt: string, s: GenerationState): Promise<number[]> {
  const [signalled, sent, base] = await Promise.all([
    model.tokenize(insertSignal(condBase, s.signal ?? ''), true), model.tokenize(fixedText(basePrompt, s, 'uncond'), true), model.tokenize(condBase, true),
  ]);
  return quirkConditionalIds(signalled, sent, base.length);
}

/** Token ids of both sides' fixed parts, tokenized on first use (one tokenizer call per side per step). */
export function fixedIdsOf(model: EgcfgModel, frame: string | PromptFrame, s: GenerationState, condBase?: string): (side: Side) => Promise<number[]> {
  const fixed: Record<Side, Promise<number[]> | null> = { uncond: null, cond: null };
  const f = frameOf(frame);
  return (side) => {
    fixed[side] ??= side === 'cond' && condBase !== undefined ? quirkIds(model, condBase, f.basePrompt, s) : model.tokenize(fixedText(f, s, side), true);
    return fixed[side];
  };
}
