// EG-CFG in the model's own chat template (`--prompt-format chat`, issue 10 item 4). PURE and deterministic.
//
// The user turn is the EG-CFG instruction of the agent's prompt type (ours, or the authors' with --authors-prompts):
// the body between `### Instruction:` and the last `### Response:` of the raw prompt, without DeepSeek-Coder's system
// line and markers (the template brings the model's own turn structure). Not the baseline's chat instruction: the
// grid's prompt-type dimension (deepseek_instruct few-shot vs long_code's line-by-line style, which keeps every
// prefix traceable) and --authors-prompts keep their meaning, and the baseline/EG-CFG difference stays the method's.
// The assistant turn opens with the baseline's response prefix (ending in an open ```python fence, core/prompts/chat.ts),
// then the reasoning prefix, the forced `def` line and the code so far continue as the model's own token ids.
//
// The dynamic signal goes where the method puts it: in the conditional side only, at the end of the user turn, after
// the problem, introduced by the same signal text (header and introduction) as the raw prompt. The authors' code has
// no chat-template path at all: every model (DeepSeek-Coder 1.3B locally, DeepSeek-V3 / Qwen3 on endpoints) gets the
// raw DeepSeek instruct text, whose `### Instruction:` / `### Response:` markers are DeepSeek-Coder's own turn format
// written out by hand, and the signal is inserted right before `### Response:` (eg_cfg/code_generation_adapter.py,
// unify_dynamic_signals) — the end of the user's instruction. Ours follows that placement inside the rendered user
// turn; it differs in rendering the turn with the served model's template instead of DeepSeek's hand-written one.
//
// The template is rendered once per problem, for each side: the unconditional side as it is, the conditional side
// with a slot marker where the signal goes, split at the marker into a head and a tail, so each refresh's
// conditional text is head + signal + tail without another rendering (valid for templates that copy the message
// content verbatim; a template that changes the marker is refused when the frame is built).
import { insertSignal, RESPONSE_MARKER } from './signal.ts';

/** Marks the signal's place in the conditional side's user turn while the template is rendered (plain ASCII). */
export const SIGNAL_SLOT = '@@EGCFG_DYNAMIC_SIGNAL_SLOT@@';

const INSTRUCTION_MARKER = '### Instruction:';

/** The conditional and unconditional sides' fixed texts, rendered by the model's template, and the assistant's opening. */
export interface ChatFrame {
  /** The assistant turn's opening: the response prefix, ending in an open ```python fence. */
  responsePrefix: string;
  /** The conditional side's rendered text up to the signal (template markers, the instruction, a blank line). */
  condHead: string;
  /** The conditional side's rendered text after the signal (end of the user turn, opening of the assistant turn). */
  condTail: string;
}

export class ChatTemplateError extends Error {}

/**
 * The user turn's instruction from an EG-CFG raw prompt: the text after the first `### Instruction:` line and
 * before the last `### Response:` marker, trimmed. Throws when either marker is missing.
 */
export function chatInstruction(rawPrompt: string): string {
  const start = rawPrompt.indexOf(INSTRUCTION_MARKER);
  const end = rawPrompt.lastIndexOf(RESPONSE_MARKER);
  if (start === -1 || end === -1 || end < start) {
    throw new ChatTemplateError(`the EG-CFG prompt has no '${INSTRUCTION_MARKER}' … '${RESPONSE_MARKER}' instruction to put in the user turn`);
  }
  return rawPrompt.slice(start + INSTRUCTION_MARKER.length, end).trim();
}

/** The user turn's content: the instruction, and for the conditional side a blank line and the signal (or its slot). */
export function chatUserContent(instruction: string, signal?: string): string {
  return signal === undefined || signal === '' ? instruction : `${instruction}\n\n${chomp(signal)}`;
}

const chomp = (s: string): string => s.replace(/\n+$/, '');

/** The conditional side's frame from its rendering with SIGNAL_SLOT in the user turn; the slot must appear exactly once. */
export function chatFrameOf(renderedWithSlot: string, responsePrefix: string): ChatFrame {
  const parts = renderedWithSlot.split(SIGNAL_SLOT);
  if (parts.length !== 2) {
    throw new ChatTemplateError(`the chat template did not keep the user turn verbatim (the signal slot appears ${parts.length - 1} times in its rendering): EG-CFG cannot place the dynamic signal; use --prompt-format raw`);
  }
  return { responsePrefix, condHead: parts[0]!, condTail: parts[1]! };
}

/**
 * The conditional side's base text (before the reasoning prefix): a raw prompt with the signal before its last
 * `### Response:` (insertSignal); a chat prompt's frame head + signal + tail (the rendered unconditional text when
 * the signal is empty, so both sides are equal then, as in the raw format).
 */
export function conditionalBase(basePrompt: string, signal: string, chat?: ChatFrame): string {
  if (chat === undefined) return insertSignal(basePrompt, signal);
  return signal === '' ? basePrompt : `${chat.condHead}${chomp(signal)}${chat.condTail}`;
}
