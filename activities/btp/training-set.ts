// (5) The training set of an iteration: trainSetSize draws (with replacement, O(log n) each) from the buffer by
// P2Value under power or rank sampling, seeded by (seed, campaign, iteration). The split guard refuses any evaluation
// problem (non-retryable TrainEvalLeakError). Writes <workDir>/it-<n>/train.jsonl and the training_runs row holding
// the trainer config and the drawn entries; a retry returns that row (and rebuilds a lost file from its recorded draw).
import { ApplicationFailure } from '@temporalio/common';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createRng, TrainEvalLeakError, trainingJsonl, trainingPairs, type ExperienceBuffer, type TrainConfig, type TrainConfigInput, TrainConfigSchema,
} from '../../core/btp/index.ts';
import type { PromptType } from '../../core/contracts.ts';
import type { Problem } from '../../core/datasets/index.ts';
import { buildPrompt, taskText } from '../../core/prompts/index.ts';
import { trainingRunConfigSchema } from '../../core/stored/btp.ts';
import type { Database } from '../../db/client.ts';
import { beams, campaignProblems, samples, trainingRuns } from '../../db/schema/index.ts';
import { storedOfRow } from '../stored-row.ts';
import { loadBuffer, loadProblem } from './shared.ts';
import type { SampleTrainingSetInput } from './types.ts';

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

interface Drawn { problemId: number; code: string; codeHash: string; p2value: number }
type TrainingRunRow = typeof trainingRuns.$inferSelect;

/** The row exists but the file is gone (another machine's disk): the draw it recorded, with each candidate's code. */
async function recordedDraw(db: Database, existing: TrainingRunRow, input: SampleTrainingSetInput): Promise<Drawn[]> {
  const recorded = storedOfRow(trainingRunConfigSchema, existing.config, { table: 'training_runs', column: 'config', id: existing.id }).sampling?.drawn ?? [];
  const drawn: Drawn[] = [];
  for (const d of recorded) {
    const [b] = await db.select({ candidate: beams.candidate }).from(beams)
      .where(and(eq(beams.campaignId, input.campaignId), eq(beams.problemId, d.problemId), eq(beams.codeHash, d.codeHash))).limit(1);
    if (!b) throw ApplicationFailure.nonRetryable(`training set of iteration ${input.iteration}: no candidate ${d.codeHash} of problem ${d.problemId}`);
    drawn.push({ problemId: d.problemId, codeHash: d.codeHash, p2value: d.p2value, code: b.candidate });
  }
  return drawn;
}

/** A fresh seeded draw from the buffer. */
function drawFromBuffer(buffer: ExperienceBuffer, input: SampleTrainingSetInput): Drawn[] {
  if (buffer.size === 0) throw ApplicationFailure.nonRetryable(`the experience buffer of campaign ${input.campaignId} is empty: nothing to train on`, 'EmptyBuffer');
  const rng = createRng(`${input.seed}/${input.campaignId}/${input.iteration}`);
  try {
    return buffer.sample(rng, input.trainSetSize, { kind: input.sampling.kind, alpha: input.sampling.alpha }, { replacement: true })
      .map((e) => ({ problemId: e.problemId, code: e.code, codeHash: e.codeHash, p2value: e.p2value }));
  } catch (err) {
    // E.g. power sampling over a buffer whose every P2Value is 0: no retry can change that.
    if (err instanceof RangeError) throw ApplicationFailure.nonRetryable(`training set of iteration ${input.iteration}: ${err.message}`, 'SamplingError');
    throw err;
  }
}

/** Which of `ids` the campaign evaluates (its 'eval' pins): the split guard's list when the input names none. */
async function evalPinsAmong(db: Database, campaignId: string, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db.select({ problemId: campaignProblems.problemId }).from(campaignProblems)
    .where(and(eq(campaignProblems.campaignId, campaignId), eq(campaignProblems.role, 'eval'), inArray(campaignProblems.problemId, ids)));
  return rows.map((r) => r.problemId);
}

/** The (prompt, completion) pairs of the draw, refused if one comes from an evaluation problem. */
async function examplePairs(db: Database, drawn: Drawn[], input: SampleTrainingSetInput) {
  const probs = new Map<number, Problem>();
  for (const id of new Set(drawn.map((d) => d.problemId))) probs.set(id, (await loadProblem(db, id)).problem);
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
  try {
    return trainingPairs(drawn, (id) => (probs.has(id) ? '' : undefined), input.evalProblemIds ?? await evalPinsAmong(db, input.campaignId, [...probs.keys()]))
      .map((p) => ({ problemId: p.problemId, ...example(p.problemId, p.completion) }));
  } catch (err) {
    if (err instanceof TrainEvalLeakError) throw ApplicationFailure.nonRetryable(err.message, 'TrainEvalLeakError', { offendingIds: err.offendingIds });
    throw err;
  }
}

/** The trainer's configuration for this iteration's run. */
function trainConfig(input: SampleTrainingSetInput, dataFile: string, outputDir: string): TrainConfig {
  const t = input.trainer;
  return TrainConfigSchema.parse({
    baseModel: t.baseModelDir, data: dataFile, output: outputDir, loraR: t.loraR, loraAlpha: t.loraAlpha, loraDropout: t.loraDropout,
    batchSize: t.batchSize, lr: t.learningRate, epochs: t.epochs, maxSteps: t.maxSteps, saveEvery: t.saveEvery,
    maxLength: t.maxLength, threads: t.threads, device: t.device, seed: input.seed + input.iteration, resume: true,
    ...(t.targetModules ? { targetModules: t.targetModules } : {}),
  } satisfies TrainConfigInput);
}

export async function sampleTrainingSet(db: Database, input: SampleTrainingSetInput): Promise<{ trainingRunId: number; examples: number; dataFile: string }> {
  const outputDir = join(input.workDir, `it-${input.iteration}`);
  const dataFile = join(outputDir, 'train.jsonl');
  const thisRun = () => and(eq(trainingRuns.campaignId, input.campaignId), eq(trainingRuns.iteration, input.iteration));
  const [existing] = await db.select().from(trainingRuns).where(thisRun());
  if (existing && existsSync(dataFile)) return { trainingRunId: existing.id, examples: existing.examples, dataFile };

  const { buffer, rows } = await loadBuffer(db, input.campaignId, input.bufferSize, input.eviction);
  const drawn = existing ? await recordedDraw(db, existing, input) : drawFromBuffer(buffer, input);
  const pairs = await examplePairs(db, drawn, input);
  mkdirSync(outputDir, { recursive: true });
  const tmp = `${dataFile}.tmp-${process.pid}`;
  writeFileSync(tmp, trainingJsonl(pairs));
  renameSync(tmp, dataFile);
  const t = input.trainer;
  const config = trainConfig(input, dataFile, outputDir);
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
  const [row] = await db.select().from(trainingRuns).where(thisRun());
  return { trainingRunId: row!.id, examples: row!.examples, dataFile };
}
