// A model as the baseline activities see it: a prompt in, one completion out. Two kinds: an OpenAI-compatible server
// (vLLM, or our simulated server) and a replay of an existing samples file.
import { ModelClient } from './model/openai-client.ts';
import { loadReplaySamples, replayProgram, type ReplaySample } from './model/replay.ts';
import type { ModelSpec } from '../workflows/types.ts';

export interface GenerateRequest {
  taskId: string;
  /** HumanEval-style prompt code that a replayed `completion` continues. */
  promptCode?: string;
  prompt: string;
  temperature: number;
  topP: number;
  maxTokens: number;
  seed: number;
  onRetry?: (info: { attempt: number; error: string }) => void;
}

export interface GenerateReply {
  /** The raw text (a completion to extract code from), or a finished program for replayed `solution` rows. */
  text: string;
  kind: 'completion' | 'program';
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

/** DeepSeek-Coder's end-of-turn marker and friends: stop a raw completion at the end of the answer. */
const STOP_MARKERS = ['<|EOT|>', '<|end_of_sentence|>', '<｜end▁of▁sentence｜>', '<|endoftext|>', '<|im_end|>'];

export function openAiBackend(spec: Extract<ModelSpec, { kind: 'openai' }>): ModelBackend {
  const apiKey = process.env.EGCFG_MODEL_API_KEY;
  const client = new ModelClient({ baseUrl: spec.baseUrl, ...(apiKey ? { apiKey } : {}) });
  return {
    name: spec.model,
    simulated: spec.simulated,
    async generate(req) {
      const reply = await client.completions({
        model: spec.model,
        prompt: req.prompt,
        temperature: req.temperature,
        top_p: req.topP,
        max_tokens: req.maxTokens,
        seed: req.seed,
        stop: STOP_MARKERS,
        logprobs: 1,
      }, { onRetry: req.onRetry });
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
    },
  };
}

export function replayBackend(spec: Extract<ModelSpec, { kind: 'replay' }>): ModelBackend {
  let samples: Map<string, ReplaySample> | undefined;
  return {
    name: spec.model,
    simulated: false,
    async generate(req) {
      samples ??= await loadReplaySamples(spec.samplesFile);
      // evalplus names MBPP tasks `Mbpp/<n>`; our MBPP task ids are the bare numbers.
      const sample = samples.get(req.taskId) ?? samples.get(`Mbpp/${req.taskId}`);
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
