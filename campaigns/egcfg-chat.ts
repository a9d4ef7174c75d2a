// `--prompt-format chat|raw` for EG-CFG campaigns (core/egcfg/chat-prompt.ts): which flags combine with it, and a
// check, when the campaign starts, that the model's server renders its chat template (the generations render each
// problem's two sides there). The option itself is one of every method's (campaigns/options/common.ts); its default
// is the catalogue model's recommended format when the CLI names a catalogue model, else raw.
//
// With chat format:
//   --authors-prompts DIR       their instruction texts become the user turn, their signal templates the signal;
//   --fence-instruction auto    no instruction (the response prefix opens the ```python block, the closing fence
//                               ends the answer); `on` has no meaning and is refused, `off` is what auto is;
//   --cond-prompt authors-quirk refused: it rebuilds the conditional side of a raw prompt with the fence instruction
//                               from token offsets, and a chat prompt never has that instruction.
import type { ModelSpec } from '../core/contracts.ts';
import { apiKeyFor } from '../core/model-servers.ts';
import { ModelClient } from '../activities/model/openai-client.ts';
import { OptionsError, type RunOptions } from './options.ts';

/** The campaign's prompt format; refuses the flags that have no meaning in chat format (naming both flags). */
export function egcfgPromptFormat(opts: Pick<RunOptions, 'promptFormat' | 'fenceInstruction' | 'condPrompt'>): 'chat' | 'raw' {
  const format = opts.promptFormat ?? 'raw';
  if (format !== 'chat') return format;
  if (opts.fenceInstruction === 'on') {
    throw new OptionsError([{ field: 'fenceInstruction', message: '--fence-instruction on has no meaning with --prompt-format chat: the chat response prefix opens the ```python block and its closing fence ends the answer (use --fence-instruction auto or off, or --prompt-format raw)' }]);
  }
  if (opts.condPrompt === 'authors-quirk') {
    throw new OptionsError([{ field: 'condPrompt', message: "--cond-prompt authors-quirk has no meaning with --prompt-format chat: it rebuilds a raw prompt's conditional side around the fence instruction, which a chat prompt never has (use --cond-prompt clean, or --prompt-format raw)" }]);
  }
  return format;
}

/** Refuses chat format on a server that cannot render the model's chat template (a generic endpoint, the simulator). */
export async function checkChatTemplate(model: ModelSpec): Promise<void> {
  if (model.kind !== 'openai') return;
  const apiKey = apiKeyFor(model.baseUrl);
  const client = new ModelClient({ baseUrl: model.baseUrl, ...(apiKey ? { apiKey } : {}), ...(model.dialect ? { dialect: model.dialect } : {}), maxRetries: 1 });
  let rendered: string | undefined;
  try {
    rendered = await client.renderChat(model.model, [{ role: 'user', content: 'ping' }]);
  } catch (e) {
    throw new OptionsError([{ field: 'promptFormat', message: `--prompt-format chat: ${model.simulated ? 'the simulated model server' : model.baseUrl} did not render the model's chat template (${(e as Error).message.slice(0, 300)}); use --prompt-format raw` }]);
  } finally {
    client.close();
  }
  if (rendered === undefined) {
    throw new OptionsError([{ field: 'promptFormat', message: `--prompt-format chat: ${model.baseUrl} has no route that renders the chat template (llama.cpp /apply-template, vLLM /tokenize with messages), which EG-CFG's token-id prompts need; use --prompt-format raw` }]);
  }
}
