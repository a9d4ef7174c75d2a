// A model as the baseline activities see it: a prompt in, one completion out. Two kinds: an OpenAI-compatible server
// (vLLM, or our simulated server) and a replay of an existing samples file.
import { CHAT_STOPS, type ChatPrompt } from '../core/prompts/chat.ts';
import { apiKeyFor } from '../core/model-servers.ts';
import { ModelClient } from './model/openai-client.ts';
import { loadReplaySamples, replayProgram, type ReplaySample } from './model/replay.ts';
import type { ModelSpec } from '../core/contracts.ts';

export interface GenerateRequest {
  taskId: string;
  /** HumanEval-style prompt code that a replayed `completion` continues. */
  promptCode?: string;
  prompt: string;
  /** Chat format: rendered with the model's template on the server, then `responsePrefix` appended (prompt is unused). */
  chat?: ChatPrompt;
  temperature: number;
  topP: number;
  maxTokens: number;
  seed: number;
  /** Which of the task's samples a replay model answers with (pass@k: sample i of n); 0 when absent. */
  sampleIndex?: number;
  onRetry?: (info: { attempt: number; error: string }) => void;
}

export interface GenerateReply {
  /** The raw text (a completion to extract code from), or a finished program for replayed `solution` rows. */
  text: string;
  kind: 'completion' | 'program';
  /** The exact text the model continued (rendered chat template + response prefix, or the raw prompt). */
  promptText?: string;
  /** Text the answer starts with that the model did not write (the chat response prefix): extraction reads prefix + text. */
  responsePrefix?: string;
  tokenLogprobs: number[] | null;
  promptTokens: number;
  completionTokens: number;
  modelCalls: number;
}

export interface ModelBackend {
  readonly name: string;
  readonly simulated: boolean;
  generate(req: GenerateRequest): Promise<GenerateReply>;
}

/**
 * Stops of a raw (DeepSeek instruct) completion, most important first (vLLM takes four): a bare closing fence ends
 * the answer's code block, then the end-of-turn markers of the model families we serve.
 */
export const RAW_STOPS = ['\n```\n', '<|EOT|>', '<｜end▁of▁sentence｜>', '<|im_end|>', '<|endoftext|>'];

export function openAiBackend(spec: Extract<ModelSpec, { kind: 'openai' }>): ModelBackend {
  const apiKey = apiKeyFor(spec.baseUrl);
  const client = new ModelClient({ baseUrl: spec.baseUrl, ...(apiKey ? { apiKey } : {}), ...(spec.dialect ? { dialect: spec.dialect } : {}) });
  return {
    name: spec.model,
    simulated: spec.simulated,
    async generate(req) {
      if (req.chat) {
        const rendered = await client.renderChat(spec.model, req.chat.messages, { onRetry: req.onRetry });
        if (rendered === undefined) return chatEndpoint(client, spec.model, req, req.chat);
        const promptText = rendered + req.chat.responsePrefix;
        const reply = await client.completions({
          model: spec.model, prompt: promptText, temperature: req.temperature, top_p: req.topP, max_tokens: req.maxTokens,
          seed: req.seed, stop: CHAT_STOPS, logprobs: 1,
        }, { onRetry: req.onRetry });
        return { ...completionReply(reply, spec), promptText, responsePrefix: req.chat.responsePrefix };
      }
      const reply = await client.completions({
        model: spec.model,
        prompt: req.prompt,
        temperature: req.temperature,
        top_p: req.topP,
        max_tokens: req.maxTokens,
        seed: req.seed,
        stop: RAW_STOPS,
        logprobs: 1,
      }, { onRetry: req.onRetry });
      return { ...completionReply(reply, spec), promptText: req.prompt };
    },
  };
}

function completionReply(reply: Awaited<ReturnType<ModelClient['completions']>>, spec: Extract<ModelSpec, { kind: 'openai' }>): GenerateReply {
  const choice = reply.choices[0];
  if (!choice) throw new Error(`model ${spec.model} at ${spec.baseUrl} returned no choices`);
  const lps = choice.logprobs?.token_logprobs?.filter((x): x is number => typeof x === 'number') ?? null;
  return {
    text: choice.text,
    kind: 'completion',
    tokenLogprobs: lps,
    promptTokens: reply.usage?.prompt_tokens ?? 0,
    completionTokens: reply.usage?.completion_tokens ?? 0,
    modelCalls: 1,
  };
}

/** A generic endpoint without a template route: /v1/chat/completions (the server applies the template). */
async function chatEndpoint(client: ModelClient, model: string, req: GenerateRequest, chat: ChatPrompt): Promise<GenerateReply> {
  const reply = await client.chat({
    model, messages: chat.messages, temperature: req.temperature, top_p: req.topP, max_tokens: req.maxTokens, seed: req.seed,
  }, { onRetry: req.onRetry });
  const choice = reply.choices[0];
  return {
    text: choice?.message.content ?? '', kind: 'completion', tokenLogprobs: null,
    promptText: JSON.stringify(chat.messages),
    promptTokens: reply.usage?.prompt_tokens ?? 0, completionTokens: reply.usage?.completion_tokens ?? 0, modelCalls: 1,
  };
}

export function replayBackend(spec: Extract<ModelSpec, { kind: 'replay' }>): ModelBackend {
  let samples: Map<string, ReplaySample[]> | undefined;
  return {
    name: spec.model,
    simulated: false,
    async generate(req) {
      samples ??= await loadReplaySamples(spec.samplesFile);
      // evalplus names MBPP tasks `Mbpp/<n>`; our MBPP task ids are the bare numbers.
      const sample = (samples.get(req.taskId) ?? samples.get(`Mbpp/${req.taskId}`))?.[req.sampleIndex ?? 0];
      // A problem the samples file has no answer for gets an empty program, which fails its tests: evalplus does the same.
      if (!sample) return { text: '', kind: 'program', tokenLogprobs: null, promptTokens: 0, completionTokens: 0, modelCalls: 0 };
      const text = sample.kind === 'completion' && req.promptCode === undefined ? sample.text : replayProgram(sample, req.promptCode);
      return {
        text,
        kind: sample.kind === 'completion' && req.promptCode === undefined ? 'completion' : 'program',
        tokenLogprobs: null, promptTokens: 0, completionTokens: 0, modelCalls: 0,
      };
    },
  };
}

/** One backend per distinct spec, reused across activities of a worker process. */
export function modelBackendCache(): (spec: ModelSpec) => ModelBackend {
  const cache = new Map<string, ModelBackend>();
  return (spec) => {
    const key = JSON.stringify(spec);
    let backend = cache.get(key);
    if (!backend) {
      backend = spec.kind === 'openai' ? openAiBackend(spec) : replayBackend(spec);
      cache.set(key, backend);
    }
    return backend;
  };
}
