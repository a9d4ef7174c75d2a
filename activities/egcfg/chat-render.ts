// The chat-format prompts of a generation (--prompt-format chat, core/egcfg/chat-prompt.ts): both sides' fixed texts
// rendered by the model's own template on its server — the unconditional user turn, and the conditional one with the
// signal's slot — once per (server, model, instruction) in this worker process, however many agents, γ values and
// retries of the problem ask for them (like the tokenized fixed parts of prompt-ids.ts, one level up).
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { chatFrameOf, chatInstruction, ChatTemplateError, chatUserContent, SIGNAL_SLOT } from '../../core/egcfg/chat-prompt.ts';
import { chatPrompt } from '../../core/prompts/chat.ts';
import type { Problem } from '../../core/datasets/types.ts';
import type { EgcfgModel } from './model.ts';
import type { GenerationPrompts } from './prompts.ts';

interface Rendered { uncond: string; withSlot: string }

const rendered = new Map<string, Promise<Rendered>>();
const CACHE_MAX = 10_000;
/** Renderings made by this process (not cache hits): what the unit test counts. */
export const renderStats = { renderings: 0 };

async function render(model: EgcfgModel, instruction: string): Promise<Rendered> {
  renderStats.renderings++;
  const [uncond, withSlot] = await Promise.all([
    model.renderChat([{ role: 'user', content: chatUserContent(instruction) }]),
    model.renderChat([{ role: 'user', content: chatUserContent(instruction, SIGNAL_SLOT) }]),
  ]);
  if (uncond === undefined || withSlot === undefined) {
    throw ApplicationFailure.nonRetryable('EG-CFG --prompt-format chat needs a server that renders the model\'s chat template (llama.cpp /apply-template, vLLM /tokenize with messages); this one has no such route: use --prompt-format raw', 'EgcfgChatTemplate');
  }
  return { uncond, withSlot };
}

/**
 * The generation's prompts in chat format: `basePrompt` becomes the unconditional side rendered by the template (the
 * assistant turn opened), `chat` the response prefix and the conditional side around the signal. `server` keys the
 * cache (the model server's URL).
 */
export async function withChatTemplate(built: GenerationPrompts, problem: Problem, model: EgcfgModel, server: string): Promise<GenerationPrompts> {
  let instruction: string;
  try { instruction = chatInstruction(built.basePrompt); } catch (e) {
    throw ApplicationFailure.nonRetryable((e as Error).message, 'EgcfgChatTemplate');
  }
  const key = `${server}\u0000${model.name}\u0000${createHash('sha256').update(instruction, 'utf8').digest('hex')}`;
  let hit = rendered.get(key);
  if (hit === undefined) {
    if (rendered.size >= CACHE_MAX) rendered.clear();
    hit = render(model, instruction);
    rendered.set(key, hit);
    hit.catch(() => rendered.delete(key)); // a failed rendering is asked again next time
  }
  const r = await hit;
  try {
    return { ...built, basePrompt: r.uncond, chat: chatFrameOf(r.withSlot, chatPrompt(problem).responsePrefix) };
  } catch (e) {
    if (e instanceof ChatTemplateError) throw ApplicationFailure.nonRetryable(e.message, 'EgcfgChatTemplate');
    throw e;
  }
}
