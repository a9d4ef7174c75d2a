// The simulated server's answers to POST /v1/completions and POST /v1/chat/completions (vLLM's shapes, with token
// logprobs; every choice names the variant the model believed and the problem it recognised).
import { ChatRequestSchema, CompletionRequestSchema } from './protocol.ts';
import { parse, type SimEngine } from './sim-engine.ts';
import { RESPONSE_MARKER, type Generation } from './sim-model.ts';
import { SIMULATED_FINGERPRINT } from './sim-server-types.ts';

const key = (asIds: boolean, id: number, text: string) => (asIds ? `token_id:${id}` : text);

function hashLp(text: string, pos: number): number {
  let h = 2166136261;
  const s = `${pos}:${text}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h / 2 ** 32;
}

/** A completion choice's logprobs block (the echoed prompt's tokens first when echo is set). */
function completionLogprobs(e: SimEngine, g: Generation, prompt: { text: string; ids: number[] }, echo: boolean, asIds: boolean) {
  const tokens: string[] = [], token_logprobs: Array<number | null> = [], text_offset: number[] = [];
  const top_logprobs: Array<Record<string, number> | null> = [];
  let off = 0;
  if (echo) {
    prompt.ids.forEach((id, j) => {
      const t = e.tok.tokenText(id);
      tokens.push(key(asIds, id, t));
      const lp = j === 0 ? null : Math.log(0.05 + 0.9 * (hashLp(t, j)));
      token_logprobs.push(lp);
      top_logprobs.push(lp === null ? null : { [key(asIds, id, t)]: lp });
      text_offset.push(off);
      off += t.length;
    });
    off = prompt.text.length;
  }
  for (const t of g.tokens) {
    tokens.push(key(asIds, t.id, t.text));
    token_logprobs.push(t.logprob);
    top_logprobs.push(Object.fromEntries(t.top.map((c) => [key(asIds, c.id, c.text), c.logprob])));
    text_offset.push(off);
    if (t.id !== 0) off += t.text.length;
  }
  return { tokens, token_logprobs, top_logprobs, text_offset };
}

export function completions(e: SimEngine, body: unknown) {
  const r = parse(CompletionRequestSchema, body);
  e.checkTopK(r.logprobs);
  const prompt = e.decodePrompt(r.prompt);
  const gens = e.runSamples(r.model, prompt.text, r, r.logprobs ?? 0, prompt.ids.length, 16);
  const asIds = r.return_tokens_as_token_ids ?? false;
  const completionTokens = gens.reduce((s, g) => s + g.tokens.length, 0);
  e.stats.promptTokens += prompt.ids.length;
  e.stats.completionTokens += completionTokens;
  return {
    id: e.newId('cmpl'), object: 'text_completion', created: Math.floor(Date.now() / 1000), model: r.model,
    system_fingerprint: SIMULATED_FINGERPRINT,
    choices: gens.map((g, index) => {
      const echoText = r.echo ? prompt.text : '';
      const logprobs = r.logprobs !== undefined ? completionLogprobs(e, g, prompt, r.echo ?? false, asIds) : null;
      return { index, text: echoText + g.text, logprobs, finish_reason: g.finishReason, stop_reason: g.stopReason, simulated_variant: g.believed, simulated_problem: g.problem };
    }),
    usage: { prompt_tokens: prompt.ids.length, completion_tokens: completionTokens, total_tokens: prompt.ids.length + completionTokens },
  };
}

export function chat(e: SimEngine, body: unknown) {
  const r = parse(ChatRequestSchema, body);
  const topK = r.logprobs ? (r.top_logprobs ?? 0) : 0;
  e.checkTopK(topK);
  // The DeepSeek-Coder instruct layout; a final assistant message is an answer to continue.
  let text = '';
  const msgs = r.messages;
  msgs.forEach((m, i) => {
    if (m.role === 'system') text += `${m.content}\n`;
    else if (m.role === 'user') text += `### Instruction:\n${m.content}\n`;
    else text += `${RESPONSE_MARKER}\n${m.content}${i === msgs.length - 1 ? '' : '\n'}`;
  });
  if (msgs.at(-1)!.role !== 'assistant') text += `${RESPONSE_MARKER}\n`;
  const ids = e.tok.encode(text);
  const gens = e.runSamples(r.model, text, r, topK, ids.length, e.maxModelLen - ids.length);
  const asIds = r.return_tokens_as_token_ids ?? false;
  const completionTokens = gens.reduce((s, g) => s + g.tokens.length, 0);
  e.stats.promptTokens += ids.length;
  e.stats.completionTokens += completionTokens;
  const enc = new TextEncoder();
  return {
    id: e.newId('chatcmpl'), object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: r.model,
    system_fingerprint: SIMULATED_FINGERPRINT,
    choices: gens.map((g, index) => ({
      index,
      message: { role: 'assistant', content: g.text },
      logprobs: r.logprobs ? {
        content: g.tokens.map((t) => ({
          token: key(asIds, t.id, t.text), logprob: t.logprob, bytes: [...enc.encode(t.text)],
          top_logprobs: t.top.map((c) => ({ token: key(asIds, c.id, c.text), logprob: c.logprob, bytes: [...enc.encode(c.text)] })),
        })),
      } : null,
      finish_reason: g.finishReason, stop_reason: g.stopReason, simulated_variant: g.believed, simulated_problem: g.problem,
    })),
    usage: { prompt_tokens: ids.length, completion_tokens: completionTokens, total_tokens: ids.length + completionTokens },
  };
}
