// BTP activities: beam sampling, testing, P2Value + the experience buffer (state in Postgres), prioritized sampling
// of the training set (with the train/eval split guard), LoRA training (a resumable Python process), adapter
// registration and the bookkeeping of each iteration. Every write has a natural unique key, so a retry never
// duplicates a row:
//   beams (campaign, iteration, problem, beam) · samples (campaign, run, problem, 'btp:<it>:<beam>')
//   buffer update of an iteration: one transaction + an events marker 'btp:buffer:<it>'
//   training_runs (campaign, iteration) · btp_iterations (campaign, iteration) · eval campaign id '<campaign>-eval<it>'
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  codeHash, createRng, ExperienceBuffer, possibility as possibilityOf, p2value as p2valueOf, TrainEvalLeakError,
  trainerArgs, trainingJsonl, trainingPairs, type BufferSnapshot, type TrainConfig, type TrainConfigInput, TrainConfigSchema,
} from '../../core/btp/index.ts';
import { extractCode, type Problem } from '../../core/datasets/index.ts';
import { apiKeyFor } from '../../core/model-servers.ts';
import { hasNul, pgJson, pgText } from '../../core/pg-text.ts';
import { buildPrompt, taskText } from '../../core/prompts/index.ts';
import { CHAT_STOPS, chatPrompt } from '../../core/prompts/chat.ts';
import { spawnTrainer, trainerEnvStatus } from '../../core/trainer-env.ts';
import type { Database } from '../../db/client.ts';
import { beams, btpIterations, bufferEntries, campaignProblems, campaigns, events, problems, runs, samples, trainingRuns } from '../../db/schema/index.ts';
import type { BtpParams, ModelSpec, PromptType } from '../../core/contracts.ts';
import { beamAttempt, evalCampaignIdOf } from '../../core/btp/names.ts';
import type { ActivityDeps } from '../deps.ts';
import { alive, heartbeat } from '../heartbeat.ts';
import { ModelClient, ModelServerError } from '../model/openai-client.ts';
import { findCatalogueModel } from '../../core/models/catalogue.ts';
import { ensureLocalServer } from '../../core/models/local-server.ts';
import { loraToGguf } from '../../core/models/lora-gguf.ts';
import { problemOfRow } from '../problem-row.ts';
import { testBeams, type TestBeamsInput, type TestBeamsOutcome } from './test-beams.ts';

/** Rows per set-based statement. */
const CHUNK = 500;


function cancellationSignal(): AbortSignal | undefined {
  try { return Context.current().cancellationSignal; } catch { return undefined; }
}

/** End-of-answer markers (as the baseline backend). */
const STOP_MARKERS = ['<|EOT|>', '<|end_of_sentence|>', '<｜end▁of▁sentence｜>', '<|endoftext|>', '<|im_end|>'];

/** How candidates are decoded: vLLM's OpenAI-compatible server has no beam search, so n samples with logprobs. */
export const BEAM_DECODING = 'n-sampling-with-logprobs';


/** A training completion in the shape the model answers in (a fenced Python block), so that the format is learned too. */
export const fenced = (code: string): string => `\`\`\`python\n${code.replace(/\s+$/, '')}\n\`\`\``;

/**
 * The training prompt and completion of one buffer entry. 'compact': the task text and its tests in a docstring, then
 * the bare program (short: fits a small max_length; the tiny model's own format). 'eval': the evaluation prompt
 * (promptType) and the program in the fenced block the model answers with.
 */
export function trainingExample(problem: Problem, code: string, format: 'compact' | 'eval', promptType: PromptType): { prompt: string; completion: string } {
  if (format === 'eval') return { prompt: buildPrompt(problem, promptType), completion: fenced(code) };
  return { prompt: `"""${taskText(problem).trim()}\n${problem.visibleTests.join('\n')}\n"""\n`, completion: `${code.replace(/\s+$/, '')}\n` };
}

interface BeamPrompt {
  /** The text the model continues (raw prompt, or rendered chat template + response prefix): stored with each beam. */
  text: string;
  /** What the answer starts with that the model did not write (chat: the opened fence). */
  responsePrefix: string;
  stop: string[];
}

/** The beam request's prompt in the campaign's format; chat needs a server that renders the model's template. */
async function beamPrompt(client: ModelClient, model: string, problem: Problem, input: SampleBeamsInput, onRetry: (e: { attempt: number; error: string }) => void): Promise<BeamPrompt> {
  if (input.promptFormat !== 'chat') return { text: buildPrompt(problem, input.promptType), responsePrefix: '', stop: STOP_MARKERS };
  const chat = chatPrompt(problem);
  const rendered = await client.renderChat(model, chat.messages, { onRetry });
  if (rendered === undefined) throw ApplicationFailure.nonRetryable(`model ${model}: chat-format beams need a server that renders the chat template (vLLM or llama.cpp)`, 'ModelReplyError');
  return { text: rendered + chat.responsePrefix, responsePrefix: chat.responsePrefix, stop: CHAT_STOPS };
}

function openaiSpec(spec: ModelSpec, what: string): Extract<ModelSpec, { kind: 'openai' }> {
  if (spec.kind !== 'openai') throw ApplicationFailure.nonRetryable(`BTP ${what} needs a model server (vLLM or the simulated one), not a samples file`);
  return spec;
}

export interface SampleBeamsInput {
  campaignId: string;
  runId: number;
  iteration: number;
  problemId: number;
  model: ModelSpec;
  numBeams: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  promptType: PromptType;
  /** 'chat': the model's template, the answer opened with a ```python fence and stopped at its close (absent: raw). */
  promptFormat?: 'chat' | 'raw';
  seed: number;
  possibility: 'mean' | 'sum';
}

export interface RegisterAdapterInput {
  model: ModelSpec;
  adapterName: string;
  adapterPath: string;
  campaignId: string;
  iteration: number;
  /** The target model's Hugging Face folder (the trainer's base model): the GGUF converter reads its layout. */
  baseModelDir?: string;
}

export interface UpdateBufferInput {
  campaignId: string;
  iteration: number;
  p2valueAlpha: number;
  bufferSize: number;
  eviction: 'lowest-p2value' | 'oldest';
}

export interface BufferUpdateOutcome {
  candidates: number;
  added: number;
  replaced: number;
  duplicates: number;
  rejected: number;
  evicted: number;
  skippedEmpty: number;
  size: number;
  meanPassRate: number;
  meanP2value: number;
}

export interface SampleTrainingSetInput {
  campaignId: string;
  iteration: number;
  trainSetSize: number;
  sampling: BtpParams['sampling'];
  seed: number;
  /** The evaluation problems: no training example may come from one of them. */
  evalProblemIds: number[];
  promptType: PromptType;
  /** Training example format (see trainingExample); with promptFormat 'chat' every example is in the chat format. */
  trainPrompt: 'compact' | 'eval';
  promptFormat?: 'chat' | 'raw';
  bufferSize: number;
  eviction: 'lowest-p2value' | 'oldest';
  trainer: BtpParams['trainer'];
  workDir: string;
}

export interface TrainAdapterResult {
  trainingRunId: number;
  adapterPath: string;
  steps: number;
  finalLoss: number | null;
  initialEvalLoss: number | null;
  finalEvalLoss: number | null;
  resumedFromStep: number | null;
}

export interface RecordIterationInput {
  campaignId: string;
  iteration: number;
  model: string;
  trainingRunId: number | null;
  problems: number;
  passed: number;
  passAt1: number;
  detail: Record<string, unknown>;
}

/** The buffer of a campaign as an ExperienceBuffer (rows in seq order). */
async function loadBuffer(db: Database, campaignId: string, capacity: number, eviction: 'lowest-p2value' | 'oldest') {
  const rows = await db.select().from(bufferEntries).where(eq(bufferEntries.campaignId, campaignId)).orderBy(asc(bufferEntries.seq));
  const snapshot: BufferSnapshot = {
    version: 1,
    config: { capacity, eviction },
    nextSeq: rows.length ? Math.max(...rows.map((r) => r.seq)) + 1 : 0,
    entries: rows.map((r) => ({
      problemId: r.problemId, code: r.code, possibility: r.possibility, passRate: r.passRate, p2value: r.p2value,
      sourceModel: r.sourceModel, iteration: r.iteration, codeHash: r.codeHash, key: `${r.problemId}:${r.codeHash}`, seq: r.seq,
    })),
  };
  return { buffer: ExperienceBuffer.restore(snapshot), rows };
}

/** Kill a trainer that an earlier attempt of this run left behind (its worker was killed), before resuming. */
async function reapOrphanTrainer(outputDir: string): Promise<number | null> {
  const pidFile = join(outputDir, 'trainer.pid');
  if (!existsSync(pidFile)) return null;
  let info: { pid?: number; host?: string };
  try { info = JSON.parse(readFileSync(pidFile, 'utf8')) as typeof info; } catch { return null; }
  if (!info.pid || info.host !== hostname()) return null;
  let cmdline: string;
  try { cmdline = readFileSync(`/proc/${info.pid}/cmdline`, 'utf8'); } catch { return null; }
  if (!cmdline.includes('trainer.train') || !cmdline.includes(outputDir)) return null;
  try { process.kill(info.pid, 'SIGKILL'); } catch { return null; }
  for (let i = 0; i < 100 && existsSync(`/proc/${info.pid}`); i++) {
    const stat = (() => { try { return readFileSync(`/proc/${info.pid}/stat`, 'utf8'); } catch { return ''; } })();
    if (!stat || / Z /.test(stat)) break; // gone, or a zombie nobody reaps (its parent was killed)
    await new Promise((r) => setTimeout(r, 50));
  }
  return info.pid;
}

export function btpActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function loadProblem(problemId: number): Promise<{ taskId: string; problem: Problem }> {
    const [row] = await db.select().from(problems).where(eq(problems.id, problemId));
    if (!row) throw ApplicationFailure.nonRetryable(`unknown problem id ${problemId}`);
    return { taskId: row.taskId, problem: problemOfRow(row.problem, problemId) };
  }

  async function appendEvent(campaignId: string, key: string, kind: string, payload: Record<string, unknown>) {
    await db.insert(events).values({ campaignId, key, kind, payload: pgJson(payload) }).onConflictDoNothing();
  }

  /** llama.cpp loads adapters only at start: the adapter as GGUF on a llama-server of its own (reused when alive). */
  async function serveLlamaAdapter(input: RegisterAdapterInput, spec: Extract<ModelSpec, { kind: 'openai' }>): Promise<{ alreadyLoaded: boolean; baseUrl: string }> {
    const m = findCatalogueModel(spec.model);
    if (!m || !deps.localDataDir) {
      throw ApplicationFailure.nonRetryable(`adapter ${input.adapterName}: llama.cpp loads LoRA adapters only when it starts, so BTP on llama.cpp `
        + `needs a catalogue model served locally (egcfg run --model-name NAME without --model-url); for an external server use vLLM (--enable-lora)`, 'AdapterLoadError');
    }
    if (!input.baseModelDir) throw ApplicationFailure.nonRetryable(`adapter ${input.adapterName}: the base model's Hugging Face folder is unknown`, 'AdapterLoadError');
    const log = (l: string) => { heartbeat({ adapter: input.adapterName }); console.error(l); };
    let file: string;
    try {
      file = await loraToGguf(input.adapterPath, input.baseModelDir, log);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`converting adapter ${input.adapterName}: ${(err as Error).message}`, 'AdapterLoadError');
    }
    const asked = Date.now();
    const server = await ensureLocalServer(deps.localDataDir, m, { lora: { name: input.adapterName, file }, log });
    const reused = Date.parse(server.startedAt) < asked;
    await appendEvent(input.campaignId, `btp:adapter:${input.iteration}`, 'btp_adapter_registered', {
      iteration: input.iteration, adapter: input.adapterName, path: input.adapterPath, gguf: file, server: server.url, engine: 'llama.cpp', pid: server.pid, alreadyLoaded: reused,
    });
    return { alreadyLoaded: reused, baseUrl: server.url };
  }

  return {
    /** (1) n candidates for one training problem with their token logprobs; possibility = exp(mean logprob). */
    btpSampleBeams: alive(async (input: SampleBeamsInput): Promise<{ beams: number; model: string }> => {
      const spec = openaiSpec(input.model, 'beam sampling');
      const key = and(eq(beams.campaignId, input.campaignId), eq(beams.iteration, input.iteration), eq(beams.problemId, input.problemId));
      const [{ n: existing }] = (await db.select({ n: count() }).from(beams).where(key)) as [{ n: number }];
      if (Number(existing) >= input.numBeams) return { beams: Number(existing), model: spec.model };

      const { taskId, problem } = await loadProblem(input.problemId);
      const apiKey = apiKeyFor(spec.baseUrl); // only the key bound to this server (core/model-servers.ts)
      const client = new ModelClient({ baseUrl: spec.baseUrl, ...(apiKey ? { apiKey } : {}), ...(spec.dialect ? { dialect: spec.dialect } : {}) });
      let reply;
      let prompt: BeamPrompt | undefined;
      const modelStart = performance.now();
      const onRetry = ({ attempt, error }: { attempt: number; error: string }) => {
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
      const modelMs = performance.now() - modelStart;
      const choices = [...reply.choices].sort((a, b) => a.index - b.index);
      if (choices.length !== input.numBeams) throw new Error(`model ${spec.model} returned ${choices.length} choices for n=${input.numBeams}`);
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
      return { beams: choices.length, model: spec.model };
    }),

    /** (2) Each candidate of one problem against all of its tests in the sandbox → tests passed, pass_rate. */
    btpTestBeams: alive((input: { campaignId: string; iteration: number; problemId: number }): Promise<TestBeamsOutcome> =>
      testBeams(deps, { campaignId: input.campaignId, iteration: input.iteration, problemIds: [input.problemId] })),

    /** (2) for several problems in one activity (workflows/btp-test-stage.ts): a constant number of database round trips. */
    btpTestBeamsBatch: alive((input: TestBeamsInput): Promise<TestBeamsOutcome> => testBeams(deps, input)),

    /**
     * (3)+(4) P2Value of every candidate of the iteration, then the experience buffer: dedupe by (problem, normalised
     * code), capacity and eviction by core/btp ExperienceBuffer, applied to the buffer_entries rows in one transaction.
     */
    async btpUpdateBuffer(input: UpdateBufferInput): Promise<BufferUpdateOutcome> {
      const marker = `btp:buffer:${input.iteration}`;
      const [done] = await db.select().from(events).where(and(eq(events.campaignId, input.campaignId), eq(events.key, marker)));
      if (done) return done.payload as unknown as BufferUpdateOutcome;
      return db.transaction(async (tx) => {
        const rows = await tx.select().from(beams).where(and(eq(beams.campaignId, input.campaignId), eq(beams.iteration, input.iteration)))
          .orderBy(asc(beams.problemId), asc(beams.beamIndex));
        const { buffer, rows: before } = await loadBuffer(tx, input.campaignId, input.bufferSize, input.eviction);
        const beamIdByKey = new Map<string, number>();
        const o: BufferUpdateOutcome = { candidates: rows.length, added: 0, replaced: 0, duplicates: 0, rejected: 0, evicted: 0, skippedEmpty: 0, size: 0, meanPassRate: 0, meanP2value: 0 };
        const p2updates: { id: number; p2: number }[] = [];
        for (const b of rows) {
          if (b.passRate === null) throw new Error(`beam ${b.id} (problem ${b.problemId}, beam ${b.beamIndex}) was not tested`);
          const p2 = p2valueOf(b.possibility, b.passRate, input.p2valueAlpha);
          if (b.p2value !== p2) p2updates.push({ id: b.id, p2 });
          o.meanPassRate += b.passRate / rows.length;
          o.meanP2value += p2 / rows.length;
          if (b.candidate.trim() === '') { o.skippedEmpty++; continue; }
          const r = buffer.add({ problemId: b.problemId, code: b.candidate, possibility: b.possibility, passRate: b.passRate, p2value: p2, sourceModel: b.model, iteration: input.iteration });
          if (r.status === 'added') { o.added++; if (r.evicted) o.evicted++; beamIdByKey.set(r.entry.key, b.id); }
          else if (r.status === 'replaced') { o.replaced++; beamIdByKey.set(r.entry.key, b.id); }
          else if (r.status === 'duplicate') o.duplicates++;
          else o.rejected++;
        }
        // Set-based writes (one statement per 500 rows), not one round trip per row.
        for (let i = 0; i < p2updates.length; i += CHUNK) {
          const vals = sql.join(p2updates.slice(i, i + CHUNK).map((u) => sql`(${u.id}::bigint, ${u.p2}::double precision)`), sql`, `);
          await tx.execute(sql`update ${beams} set p2value = v.p from (values ${vals}) as v(id, p) where ${beams.id} = v.id`);
        }
        const after = buffer.entries();
        const keep = new Set(after.map((e) => e.key));
        const removed = before.filter((r) => !keep.has(`${r.problemId}:${r.codeHash}`)).map((r) => r.id);
        for (let i = 0; i < removed.length; i += CHUNK) await tx.delete(bufferEntries).where(inArray(bufferEntries.id, removed.slice(i, i + CHUNK)));
        const beforeByKey = new Map(before.map((r) => [`${r.problemId}:${r.codeHash}`, r]));
        const changed = after.filter((e) => beforeByKey.get(e.key)?.seq !== e.seq).map((e) => ({
          campaignId: input.campaignId, problemId: e.problemId, code: e.code, codeHash: e.codeHash, possibility: e.possibility,
          passRate: e.passRate, p2value: e.p2value, sourceModel: e.sourceModel, iteration: e.iteration, seq: e.seq,
          beamId: beamIdByKey.get(e.key) ?? null,
        }));
        const ex = (c: string) => sql.raw(`excluded.${c}`);
        for (let i = 0; i < changed.length; i += CHUNK) {
          await tx.insert(bufferEntries).values(changed.slice(i, i + CHUNK)).onConflictDoUpdate({
            target: [bufferEntries.campaignId, bufferEntries.problemId, bufferEntries.codeHash],
            set: { code: ex('code'), possibility: ex('possibility'), passRate: ex('pass_rate'), p2value: ex('p2value'), sourceModel: ex('source_model'),
              iteration: ex('iteration'), seq: ex('seq'), beamId: ex('beam_id'), updatedAt: new Date() },
          });
        }
        o.size = after.length;
        await tx.insert(events).values({ campaignId: input.campaignId, key: marker, kind: 'btp_buffer', payload: { iteration: input.iteration, ...o } })
          .onConflictDoNothing();
        return o;
      });
    },

    /**
     * (5) The training set of an iteration: trainSetSize draws (with replacement, O(log n) each) from the buffer by
     * P2Value under power or rank sampling, seeded by (seed, campaign, iteration). The split guard refuses any
     * evaluation problem (non-retryable TrainEvalLeakError). Writes <workDir>/it-<n>/train.jsonl and the
     * training_runs row holding the trainer config and the drawn entries.
     */
    async btpSampleTrainingSet(input: SampleTrainingSetInput): Promise<{ trainingRunId: number; examples: number; dataFile: string }> {
      const outputDir = join(input.workDir, `it-${input.iteration}`);
      const dataFile = join(outputDir, 'train.jsonl');
      const [existing] = await db.select().from(trainingRuns).where(and(eq(trainingRuns.campaignId, input.campaignId), eq(trainingRuns.iteration, input.iteration)));
      if (existing && existsSync(dataFile)) return { trainingRunId: existing.id, examples: existing.examples, dataFile };

      const { buffer, rows } = await loadBuffer(db, input.campaignId, input.bufferSize, input.eviction);
      let drawn: { problemId: number; code: string; codeHash: string; p2value: number }[];
      if (existing) {
        // The row exists but the file is gone (another machine's disk): rebuild it from the recorded draw.
        const recorded = (existing.config as { sampling?: { drawn?: { problemId: number; codeHash: string; p2value: number }[] } }).sampling?.drawn ?? [];
        drawn = [];
        for (const d of recorded) {
          const [b] = await db.select({ candidate: beams.candidate }).from(beams)
            .where(and(eq(beams.campaignId, input.campaignId), eq(beams.problemId, d.problemId), eq(beams.codeHash, d.codeHash))).limit(1);
          if (!b) throw ApplicationFailure.nonRetryable(`training set of iteration ${input.iteration}: no candidate ${d.codeHash} of problem ${d.problemId}`);
          drawn.push({ ...d, code: b.candidate });
        }
      } else {
        if (buffer.size === 0) throw ApplicationFailure.nonRetryable(`the experience buffer of campaign ${input.campaignId} is empty: nothing to train on`, 'EmptyBuffer');
        const rng = createRng(`${input.seed}/${input.campaignId}/${input.iteration}`);
        try {
          drawn = buffer.sample(rng, input.trainSetSize, { kind: input.sampling.kind, alpha: input.sampling.alpha }, { replacement: true })
            .map((e) => ({ problemId: e.problemId, code: e.code, codeHash: e.codeHash, p2value: e.p2value }));
        } catch (err) {
          // E.g. power sampling over a buffer whose every P2Value is 0: no retry can change that.
          if (err instanceof RangeError) throw ApplicationFailure.nonRetryable(`training set of iteration ${input.iteration}: ${err.message}`, 'SamplingError');
          throw err;
        }
      }
      const probs = new Map<number, Problem>();
      for (const id of new Set(drawn.map((d) => d.problemId))) probs.set(id, (await loadProblem(id)).problem);
      // Chat: the prompt the beams were sampled with (the rendered template + the opened fence), the code, the closing
      // fence; the trainer appends EOS (the template's end of turn for instruct models).
      const chatPrompts = new Map<number, string>();
      if (input.promptFormat === 'chat') {
        for (const id of probs.keys()) {
          const [row] = await db.select({ prompt: samples.prompt }).from(samples)
            .where(and(eq(samples.campaignId, input.campaignId), eq(samples.problemId, id), sql`${samples.attempt} like 'btp:%'`, sql`${samples.prompt} is not null`))
            .orderBy(desc(samples.id)).limit(1);
          if (!row?.prompt) throw ApplicationFailure.nonRetryable(`training set of iteration ${input.iteration}: no stored chat prompt for problem ${id}`);
          chatPrompts.set(id, row.prompt);
        }
      }
      const example = (id: number, code: string) => (input.promptFormat === 'chat'
        ? { prompt: chatPrompts.get(id)!, completion: `${code.replace(/\s+$/, '')}\n\`\`\`` }
        : trainingExample(probs.get(id)!, code, input.trainPrompt, input.promptType));
      let pairs;
      try {
        pairs = trainingPairs(drawn, (id) => (probs.has(id) ? '' : undefined), input.evalProblemIds)
          .map((p) => ({ problemId: p.problemId, ...example(p.problemId, p.completion) }));
      } catch (err) {
        if (err instanceof TrainEvalLeakError) throw ApplicationFailure.nonRetryable(err.message, 'TrainEvalLeakError', { offendingIds: err.offendingIds });
        throw err;
      }
      mkdirSync(outputDir, { recursive: true });
      const tmp = `${dataFile}.tmp-${process.pid}`;
      writeFileSync(tmp, trainingJsonl(pairs));
      renameSync(tmp, dataFile);
      const t = input.trainer;
      const config: TrainConfig = TrainConfigSchema.parse({
        baseModel: t.baseModelDir, data: dataFile, output: outputDir, loraR: t.loraR, loraAlpha: t.loraAlpha, loraDropout: t.loraDropout,
        batchSize: t.batchSize, lr: t.learningRate, epochs: t.epochs, maxSteps: t.maxSteps, saveEvery: t.saveEvery,
        maxLength: t.maxLength, threads: t.threads, device: t.device, seed: input.seed + input.iteration, resume: true,
        ...(t.targetModules ? { targetModules: t.targetModules } : {}),
      } satisfies TrainConfigInput);
      const byId = new Map(rows.map((r) => [`${r.problemId}:${r.codeHash}`, r.id]));
      await db.insert(trainingRuns).values({
        campaignId: input.campaignId, iteration: input.iteration, status: 'pending', baseModel: t.baseModelDir,
        config: {
          trainer: config, ...(t.debugStepSleep ? { debugStepSleep: t.debugStepSleep } : {}),
          format: input.promptFormat === 'chat' ? 'chat' : input.trainPrompt,
          sampling: { ...input.sampling, seed: `${input.seed}/${input.campaignId}/${input.iteration}`, k: input.trainSetSize, replacement: true,
            bufferSize: buffer.size, drawn: drawn.map((d) => ({ problemId: d.problemId, codeHash: d.codeHash, p2value: d.p2value, bufferEntryId: byId.get(`${d.problemId}:${d.codeHash}`) ?? null })) },
        },
        outputDir, examples: pairs.length,
      }).onConflictDoNothing();
      const [row] = await db.select().from(trainingRuns).where(and(eq(trainingRuns.campaignId, input.campaignId), eq(trainingRuns.iteration, input.iteration)));
      return { trainingRunId: row!.id, examples: row!.examples, dataFile };
    },

    /**
     * (6) LoRA training: spawns python -m trainer.train --resume on the run's folder, heartbeats step and loss, records
     * progress and metrics in training_runs. A retry (e.g. after the worker was killed) first kills the trainer the
     * dead attempt left behind, then resumes from the newest checkpoint; a finished run is returned as recorded.
     */
    async btpTrain(input: { trainingRunId: number }): Promise<TrainAdapterResult> {
      const [run] = await db.select().from(trainingRuns).where(eq(trainingRuns.id, input.trainingRunId));
      if (!run) throw ApplicationFailure.nonRetryable(`unknown training run ${input.trainingRunId}`);
      const result = (r: typeof run): TrainAdapterResult => {
        const m = r.metrics;
        const num = (x: unknown) => (typeof x === 'number' ? x : null);
        return { trainingRunId: r.id, adapterPath: r.adapterPath!, steps: r.lastStep, finalLoss: r.lastLoss,
          initialEvalLoss: num(m.initial_eval_loss), finalEvalLoss: num(m.final_eval_loss), resumedFromStep: num(m.resumed_from_step) };
      };
      if (run.status === 'succeeded' && run.adapterPath) return result(run);
      const env = trainerEnvStatus();
      if (!env.installed) throw ApplicationFailure.nonRetryable(`LoRA trainer unavailable: ${env.reason}`, 'TrainerEnvMissing');
      const cfg = run.config as { trainer: TrainConfigInput; debugStepSleep?: number };
      const outputDir = run.outputDir;
      mkdirSync(outputDir, { recursive: true });
      const reaped = await reapOrphanTrainer(outputDir);
      const attempt = (() => { try { return Context.current().info.attempt; } catch { return 1; } })();
      await db.update(trainingRuns).set({ status: 'running', startedAt: run.startedAt ?? new Date(), updatedAt: new Date(), error: null })
        .where(eq(trainingRuns.id, run.id));
      if (reaped !== null || attempt > 1) {
        await appendEvent(run.campaignId, `btp:train:${run.iteration}:attempt:${attempt}`, 'btp_training_retry', { iteration: run.iteration, attempt, reapedPid: reaped, lastStep: run.lastStep });
      }
      const args = [...trainerArgs({ ...cfg.trainer, resume: true }), ...(cfg.debugStepSleep ? ['--debug-step-sleep', String(cfg.debugStepSleep)] : [])];
      let lastStep = run.lastStep;
      let lastLoss = run.lastLoss;
      let resumedFrom: number | null = null;
      let lastWrite = 0;
      let pending: Promise<unknown> = Promise.resolve();
      const proc = spawnTrainer('train', args, {
        onEvent: (e) => {
          if (e.event === 'step') {
            lastStep = e.step; lastLoss = e.loss;
            heartbeat({ step: e.step, loss: e.loss });
            const now = Date.now();
            if (now - lastWrite > 1000) {
              lastWrite = now;
              pending = pending.then(() => db.update(trainingRuns).set({ lastStep: e.step, lastLoss: e.loss, updatedAt: new Date() }).where(eq(trainingRuns.id, run.id))).catch(() => {});
            }
          } else if (e.event === 'resume') {
            resumedFrom = e.from_step;
            heartbeat({ resumedFrom: e.from_step });
          } else if (e.event === 'checkpoint') {
            heartbeat({ checkpoint: e.step, step: lastStep, loss: lastLoss });
            pending = pending.then(() => db.update(trainingRuns).set({ lastStep: e.step, ...(lastLoss !== null ? { lastLoss } : {}), updatedAt: new Date() }).where(eq(trainingRuns.id, run.id))).catch(() => {});
          }
        },
      });
      writeFileSync(join(outputDir, 'trainer.pid'), JSON.stringify({ pid: proc.child.pid, host: hostname(), trainingRunId: run.id, attempt }));
      // Startup (importing torch, loading the model) prints nothing for seconds: keep the heartbeat going meanwhile.
      const beat = setInterval(() => heartbeat({ step: lastStep, loss: lastLoss, alive: true }), 1000);
      const signal = cancellationSignal();
      const onCancel = () => { proc.child.kill('SIGTERM'); };
      signal?.addEventListener('abort', onCancel);
      let r;
      try {
        r = await proc.done;
      } finally {
        clearInterval(beat);
        signal?.removeEventListener('abort', onCancel);
        await pending;
        rmSync(join(outputDir, 'trainer.pid'), { force: true });
      }
      if (signal?.aborted) {
        await db.update(trainingRuns).set({ status: 'cancelled', lastStep, lastLoss, updatedAt: new Date() }).where(eq(trainingRuns.id, run.id));
        throw signal.reason ?? new Error(`training run ${run.id} cancelled at step ${lastStep}`);
      }
      const done = r.events.find<Extract<(typeof r.events)[number], { event: 'done' }>>((e) => e.event === 'done');
      if (r.code !== 0 || !done) {
        const err = r.events.find((e) => e.event === 'error') as { message?: string } | undefined;
        const message = `trainer exited with ${r.signal ?? `code ${r.code}`} at step ${lastStep}: ${err?.message ?? r.stderr.slice(-1500)}`;
        await db.update(trainingRuns).set({ status: r.code === 2 ? 'failed' : 'running', error: message, lastStep, lastLoss, updatedAt: new Date() }).where(eq(trainingRuns.id, run.id));
        if (r.code === 2) throw ApplicationFailure.nonRetryable(message, 'TrainerUsageError');
        throw new Error(message);
      }
      const metrics = JSON.parse(readFileSync(done.metrics, 'utf8')) as Record<string, unknown>;
      if (resumedFrom !== null && metrics.resumed_from_step === undefined) metrics.resumed_from_step = resumedFrom;
      const losses = Array.isArray(metrics.losses) ? (metrics.losses as number[]) : [];
      await db.update(trainingRuns).set({
        status: 'succeeded', adapterPath: done.adapter, metrics, lastStep: done.steps, lastLoss: done.final_loss ?? losses.at(-1) ?? lastLoss,
        finishedAt: new Date(), updatedAt: new Date(), error: null,
      }).where(eq(trainingRuns.id, run.id));
      const [fin] = await db.select().from(trainingRuns).where(eq(trainingRuns.id, run.id));
      return result(fin!);
    },

    /**
     * (7) Serve the adapter under its own name. vLLM: POST /v1/load_lora_adapter (idempotent). llama.cpp (a catalogue
     * model on a local server): the PEFT adapter converted to GGUF and served by a llama-server of its own, started
     * with --lora; its URL is returned and used for the iteration's evaluation (and the next iteration's beams).
     */
    btpRegisterAdapter: alive(async (input: RegisterAdapterInput): Promise<{ alreadyLoaded: boolean; baseUrl?: string }> => {
      const spec = openaiSpec(input.model, 'adapter registration');
      if (spec.dialect === 'llamacpp') return serveLlamaAdapter(input, spec);
      const apiKey = apiKeyFor(spec.baseUrl); // only the key bound to this server (core/model-servers.ts)
      const client = new ModelClient({ baseUrl: spec.baseUrl, ...(apiKey ? { apiKey } : {}) });
      try {
        const r = await client.loadLoraAdapter(input.adapterName, input.adapterPath);
        await appendEvent(input.campaignId, `btp:adapter:${input.iteration}`, 'btp_adapter_registered', {
          iteration: input.iteration, adapter: input.adapterName, path: input.adapterPath, server: spec.baseUrl, alreadyLoaded: r.alreadyLoaded,
        });
        return { alreadyLoaded: r.alreadyLoaded };
      } catch (err) {
        if (err instanceof ModelServerError && !err.retryable) throw ApplicationFailure.nonRetryable(`loading adapter ${input.adapterName}: ${err.message}`, 'AdapterLoadError');
        throw err;
      } finally {
        client.close();
      }
    }),

    /** (8) The campaign row of one iteration's evaluation (a baseline campaign of the adapter, or of the base model). */
    async btpCreateEvalCampaign(input: { campaignId: string; iteration: number; modelName: string }): Promise<{ campaignId: string; runId: number }> {
      const [parent] = await db.select().from(campaigns).where(eq(campaigns.id, input.campaignId));
      if (!parent) throw ApplicationFailure.nonRetryable(`unknown campaign ${input.campaignId}`);
      const id = evalCampaignIdOf(input.campaignId, input.iteration);
      await db.insert(campaigns).values({
        id, method: 'baseline', dataset: parent.dataset, model: input.modelName, simulated: parent.simulated,
        config: { role: 'btp-evaluation', parentCampaignId: input.campaignId, iteration: input.iteration, model: input.modelName },
        workflowId: `campaign-${id}`, problemsTotal: parent.problemsTotal,
      }).onConflictDoNothing();
      // It evaluates the parent's pinned evaluation problems: the same versions, files and hashes.
      await db.update(campaigns).set({ datasetFiles: parent.datasetFiles }).where(eq(campaigns.id, id));
      await db.execute(sql`insert into ${campaignProblems} (campaign_id, problem_id, task_id, content_hash, role, position)
        select ${id}, problem_id, task_id, content_hash, role, position from ${campaignProblems}
        where campaign_id = ${input.campaignId} and role = 'eval' on conflict do nothing`);
      await db.insert(runs).values({ campaignId: id, name: 'baseline', config: { role: 'btp-evaluation', iteration: input.iteration } }).onConflictDoNothing();
      const [run] = await db.select({ id: runs.id }).from(runs).where(and(eq(runs.campaignId, id), eq(runs.name, 'baseline')));
      return { campaignId: id, runId: run!.id };
    },

    /** pass@1 of one iteration, with the buffer size at that point. */
    async btpRecordIteration(input: RecordIterationInput): Promise<{ bufferSize: number }> {
      const [{ n }] = (await db.select({ n: count() }).from(bufferEntries).where(eq(bufferEntries.campaignId, input.campaignId))) as [{ n: number }];
      await db.insert(btpIterations).values({
        campaignId: input.campaignId, iteration: input.iteration, model: input.model, trainingRunId: input.trainingRunId,
        problems: input.problems, passed: input.passed, passAt1: input.passAt1, bufferSize: Number(n), detail: input.detail,
      }).onConflictDoNothing();
      const [row] = await db.select().from(btpIterations).where(and(eq(btpIterations.campaignId, input.campaignId), eq(btpIterations.iteration, input.iteration)));
      await appendEvent(input.campaignId, `btp:iteration:${input.iteration}`, 'btp_iteration', { iteration: input.iteration, passAt1: row!.passAt1, model: row!.model });
      return { bufferSize: row!.bufferSize };
    },

    /** Campaign status (+ the summary row of the last evaluation) for the BTP campaign. */
    async btpFinish(input: { campaignId: string; status: 'completed' | 'cancelled' | 'failed'; passAt1: number | null; error?: string }): Promise<{ dataset: string; model: string; simulated: boolean }> {
      await db.update(campaigns).set({ status: input.status, error: input.error ?? null, updatedAt: new Date(), finishedAt: new Date() })
        .where(eq(campaigns.id, input.campaignId));
      await appendEvent(input.campaignId, `status:${input.status}`, 'campaign_status', { status: input.status, passAt1: input.passAt1 });
      const [c] = await db.select().from(campaigns).where(eq(campaigns.id, input.campaignId));
      return { dataset: c!.dataset, model: c!.model, simulated: c!.simulated };
    },
  };
}
