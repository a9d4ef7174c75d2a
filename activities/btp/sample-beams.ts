// (1) Beam sampling: n candidates for one training problem with their token logprobs; possibility = exp(mean logprob).
// Written under natural keys (samples: 'btp:<it>:<beam>', beams: (campaign, iteration, problem, beam)).
import { ApplicationFailure } from '@temporalio/common';
import { and, count, eq } from 'drizzle-orm';
import { codeHash, possibility as possibilityOf } from '../../core/btp/index.ts';
import { beamAttempt } from '../../core/btp/names.ts';
import type { ModelSpec } from '../../core/contracts.ts';
import { extractCode, type Problem } from '../../core/datasets/index.ts';
import { apiKeyFor } from '../../core/model-servers.ts';
import { hasNul, pgText } from '../../core/pg-text.ts';
import { CHAT_STOPS, chatPrompt } from '../../core/prompts/chat.ts';
import { buildPrompt } from '../../core/prompts/index.ts';
import type { Database } from '../../db/client.ts';
import { beams, samples } from '../../db/schema/index.ts';
import { heartbeat } from '../heartbeat.ts';
import { ModelClient, ModelServerError } from '../model/openai-client.ts';
import { cancellationSignal, loadProblem, openaiSpec } from './shared.ts';
import type { SampleBeamsInput } from './types.ts';

/** End-of-answer markers (as the baseline backend). */
const STOP_MARKERS = ['<|EOT|>', '<|end_of_sentence|>', '<｜end▁of▁sentence｜>', '<|endoftext|>', '<|im_end|>'];

/** How candidates are decoded: vLLM's OpenAI-compatible server has no beam search, so n samples with logprobs. */
export const BEAM_DECODING = 'n-sampling-with-logprobs';

interface BeamPrompt {
  /** The text the model continues (raw prompt, or rendered chat template + response prefix): stored with each beam. */
  text: string;
  /** What the answer starts with that the model did not write (chat: the opened fence). */
  responsePrefix: string;
  stop: string[];
}

type OnRetry = (e: { attempt: number; error: string }) => void;
type Completion = Awaited<ReturnType<ModelClient['completions']>>;

/** The beam request's prompt in the campaign's format; chat needs a server that renders the model's template. */
async function beamPrompt(client: ModelClient, model: string, problem: Problem, input: SampleBeamsInput, onRetry: OnRetry): Promise<BeamPrompt> {
  if (input.promptFormat !== 'chat') return { text: buildPrompt(problem, input.promptType), responsePrefix: '', stop: STOP_MARKERS };
  const chat = chatPrompt(problem);
  const rendered = await client.renderChat(model, chat.messages, { onRetry });
  if (rendered === undefined) throw ApplicationFailure.nonRetryable(`model ${model}: chat-format beams need a server that renders the chat template (vLLM or llama.cpp)`, 'ModelReplyError');
  return { text: rendered + chat.responsePrefix, responsePrefix: chat.responsePrefix, stop: CHAT_STOPS };
}

/** One completions request for all n beams (its prompt, the reply, and how long the model took). */
async function requestBeams(spec: Extract<ModelSpec, { kind: 'openai' }>, problem: Problem, taskId: string, input: SampleBeamsInput) {
  const apiKey = apiKeyFor(spec.baseUrl); // only the key bound to this server (core/model-servers.ts)
  const client = new ModelClient({ baseUrl: spec.baseUrl, ...(apiKey ? { apiKey } : {}), ...(spec.dialect ? { dialect: spec.dialect } : {}) });
  let reply: Completion;
  let prompt: BeamPrompt;
  const modelStart = performance.now();
  const onRetry: OnRetry = ({ attempt, error }) => {
    heartbeat({ modelRetry: attempt });
    console.warn(`[btp ${input.campaignId}] beams for ${taskId}: ${error}; retry ${attempt}`);
  };
  try {
    prompt = await beamPrompt(client, spec.model, problem, input, onRetry);
    reply = await client.completions({
      model: spec.model, prompt: prompt.text, n: input.numBeams,
      temperature: input.temperature, top_p: input.topP, max_tokens: input.maxTokens, seed: input.seed,
      stop: prompt.stop, logprobs: 1,
    }, { ...(cancellationSignal() ? { signal: cancellationSignal()! } : {}), onRetry });
  } catch (err) {
    if (err instanceof ModelServerError && !err.retryable) throw ApplicationFailure.nonRetryable(`model ${spec.model}: ${err.message}`, 'ModelReplyError');
    throw err;
  } finally {
    client.close();
  }
  return { prompt, reply, modelMs: performance.now() - modelStart };
}

/** The sample and beam rows of every choice, in one transaction (the first choice carries the request's usage). */
async function storeBeams(db: Database, spec: Extract<ModelSpec, { kind: 'openai' }>, problem: Problem, input: SampleBeamsInput,
  { prompt, reply, modelMs }: Awaited<ReturnType<typeof requestBeams>>, choices: Completion['choices']): Promise<void> {
  const params = {
    decoding: BEAM_DECODING, n: input.numBeams, temperature: input.temperature, topP: input.topP, seed: input.seed,
    maxTokens: input.maxTokens, promptType: input.promptType, promptFormat: input.promptFormat ?? 'raw', possibility: input.possibility,
    simulated: spec.simulated,
  };
  await db.transaction(async (tx) => {
    for (const [j, choice] of choices.entries()) {
      const code = extractCode(prompt.responsePrefix + choice.text, problem);
      // Postgres text cannot hold NUL: stored as U+FFFD, and the sample says so (its verdict stays the original's).
      const codeHadNul = hasNul(code);
      const lps = choice.logprobs?.token_logprobs?.filter((x): x is number => typeof x === 'number') ?? [];
      const pos = lps.length ? possibilityOf(lps.map((x) => (x < -1e4 ? -Infinity : x)), input.possibility) : 0;
      await tx.insert(samples).values({
        campaignId: input.campaignId, runId: input.runId, problemId: input.problemId, attempt: beamAttempt(input.iteration, j),
        code: pgText(code), rawCompletion: pgText(choice.text), prompt: pgText(prompt.text), model: pgText(spec.model),
        params: codeHadNul ? { ...params, codeHadNul: true } : params, tokenLogprobs: lps,
        promptTokens: j === 0 ? reply.usage?.prompt_tokens ?? 0 : 0, completionTokens: lps.length, modelCalls: j === 0 ? 1 : 0,
        modelMs: j === 0 ? modelMs : 0,
      }).onConflictDoNothing();
      const [s] = await tx.select({ id: samples.id }).from(samples).where(and(eq(samples.campaignId, input.campaignId),
        eq(samples.runId, input.runId), eq(samples.problemId, input.problemId), eq(samples.attempt, beamAttempt(input.iteration, j))));
      await tx.insert(beams).values({
        campaignId: input.campaignId, iteration: input.iteration, problemId: input.problemId, beamIndex: j, candidate: pgText(code),
        codeHash: codeHash(code), sampleId: s!.id, tokenCount: lps.length, possibility: pos, model: pgText(spec.model),
      }).onConflictDoNothing();
    }
  });
}

export async function sampleBeams(db: Database, input: SampleBeamsInput): Promise<{ beams: number; model: string }> {
  const spec = openaiSpec(input.model, 'beam sampling');
  const key = and(eq(beams.campaignId, input.campaignId), eq(beams.iteration, input.iteration), eq(beams.problemId, input.problemId));
  const [{ n: existing }] = (await db.select({ n: count() }).from(beams).where(key)) as [{ n: number }];
  if (Number(existing) >= input.numBeams) return { beams: Number(existing), model: spec.model };

  const { taskId, problem } = await loadProblem(db, input.problemId);
  const answer = await requestBeams(spec, problem, taskId, input);
  const choices = [...answer.reply.choices].sort((a, b) => a.index - b.index);
  if (choices.length !== input.numBeams) throw new Error(`model ${spec.model} returned ${choices.length} choices for n=${input.numBeams}`);
  await storeBeams(db, spec, problem, input, answer, choices);
  return { beams: choices.length, model: spec.model };
}
