// Rows of a finished BTP campaign written straight into a database, shaped as activities/btp writes them (iteration
// 0 evaluates the base model, iterations 1 and 2 each sample beams, update the buffer, draw a training set, train a
// LoRA adapter with a loss per step and evaluate it), and of a small `egcfg experiment` (step3 + step4 variants, as
// cli/commands/experiment.ts names them in each campaign's config), for tests of the read side without a model.
import { TrainConfigSchema } from '../../core/btp/trainer-protocol.ts';
import type { Database } from '../../db/client.ts';
import { beams, btpIterations, bufferEntries, campaigns, problems, results, trainingRuns } from '../../db/schema/index.ts';
import { stubProblem } from './stub-problem.ts';

export interface SeededBtp { campaignId: string; trainTaskIds: string[]; losses: Record<number, number[]> }

const hash = (i: number, b: number) => `${String(i).padStart(4, '0')}${String(b).padStart(4, '0')}`.padEnd(64, 'a');

/** `trainProblems` training problems with 3 beams each per iteration; pass@1 0.4 → 0.5 → 0.6 over 10 eval problems. */
export async function seedBtpCampaign(db: Database, campaignId: string, trainProblems = 4, config: Record<string, unknown> = {}): Promise<SeededBtp> {
  await db.insert(campaigns).values({
    id: campaignId, method: 'btp', dataset: 'mbpp', model: 'sim-small', simulated: true, status: 'completed',
    config: { method: 'btp', ...config }, workflowId: `campaign-${campaignId}`, problemsTotal: 10, finishedAt: new Date(),
  });
  const ids: number[] = [];
  const trainTaskIds: string[] = [];
  for (let i = 0; i < trainProblems; i++) {
    const taskId = `${campaignId}-t${i}`;
    const [p] = await db.insert(problems).values({ contentHash: `test-${taskId}`, dataset: 'mbpp', taskId, split: 'train', statement: `train <${i}>`, visibleTests: [], problem: stubProblem(taskId, { split: 'train' }), raw: {} }).returning({ id: problems.id });
    ids.push(p!.id);
    trainTaskIds.push(taskId);
  }
  const losses: Record<number, number[]> = { 1: [2.5, 2.1, 1.8, 1.6], 2: [1.7, 1.4, 1.2, 1.1] };
  let seq = 0;
  for (const it of [0, 1, 2]) {
    let trainingRunId: number | null = null;
    if (it > 0) {
      // Beams: problem i's beam b passes (b + i) % 3 of 2 tests.
      for (const [i, problemId] of ids.entries()) {
        for (let b = 0; b < 3; b++) {
          const passRate = ((b + i) % 3) / 2;
          await db.insert(beams).values({
            campaignId, iteration: it, problemId, beamIndex: b, candidate: `def f${i}():\n    return ${b} # <b>`, codeHash: hash(i, b),
            possibility: 0.5, passRate, testsPassed: passRate * 2, testsTotal: 2, p2value: 0.25 + passRate / 2, model: 'sim-small', tokenCount: 12,
          });
          if (it === 1) {
            await db.insert(bufferEntries).values({
              campaignId, problemId, code: `def f${i}(): return ${b}`, codeHash: hash(i, b), possibility: 0.5, passRate,
              p2value: 0.25 + passRate / 2, sourceModel: 'sim-small', iteration: it, seq: seq++,
            });
          }
        }
      }
      const drawn = [0, 0, 1, 2].map((i) => ({ problemId: ids[i % ids.length]!, codeHash: hash(i % ids.length, 2), p2value: 0.75, bufferEntryId: null }));
      const [run] = await db.insert(trainingRuns).values({
        campaignId, iteration: it, status: 'succeeded', baseModel: '/models/tiny', outputDir: `/tmp/${campaignId}/it${it}`, adapterPath: `/tmp/${campaignId}/it${it}/adapter`,
        config: { trainer: TrainConfigSchema.parse({ baseModel: '/models/tiny', data: `/tmp/${campaignId}/it${it}/train.jsonl`, output: `/tmp/${campaignId}/it${it}`, loraR: 8, loraAlpha: 16, loraDropout: 0.05, lr: 0.0002, batchSize: 4, epochs: 1 }), sampling: { kind: 'rank', alpha: 1, k: 4, bufferSize: 3 * ids.length, drawn } },
        metrics: { losses: losses[it], initial_eval_loss: 2.4, final_eval_loss: it === 1 ? 1.9 : 1.3 }, examples: 4, lastStep: 4, lastLoss: losses[it]!.at(-1)!,
      }).returning({ id: trainingRuns.id });
      trainingRunId = run!.id;
    }
    // The iteration's evaluation campaign (a baseline campaign); the last one scored two problems, one passed.
    const evalId = `${campaignId}-eval${it}`;
    await db.insert(campaigns).values({
      id: evalId, method: 'baseline', dataset: 'mbpp', model: 'sim-small', simulated: true, status: 'completed', problemsTotal: 10, finishedAt: new Date(),
      config: { role: 'btp-evaluation', parentCampaignId: campaignId, iteration: it, model: 'sim-small' }, workflowId: `campaign-${evalId}`,
    });
    if (it === 2) {
      for (const [i, problemId] of ids.slice(0, 2).entries()) {
        await db.insert(results).values({ campaignId: evalId, problemId, protocol: 'default', passed: i === 0, status: i === 0 ? 'passed' : 'failed', detail: {} });
      }
    }
    await db.insert(btpIterations).values({
      campaignId, iteration: it, model: it === 0 ? 'sim-small' : `sim-small-btp-${campaignId}-it${it}`, trainingRunId,
      problems: 10, passed: 4 + it, passAt1: (4 + it) / 10, bufferSize: it === 0 ? 0 : 3 * ids.length,
      detail: it === 0 ? { role: 'base target model', evalCampaignId: `${campaignId}-eval0` }
        : { role: 'adapter', sampledWith: 'sim-small', trainingExamples: 4, candidatesPassed: ids.length, adapterPath: `/tmp/${campaignId}/it${it}/adapter`, evalCampaignId: `${campaignId}-eval${it}` },
    });
  }
  return { campaignId, trainTaskIds, losses };
}

/** An experiment of three BTP campaigns: the shared default (step3 and step4), a rank-sampling variant, a temperature. */
export async function seedExperiment(db: Database, name: string, prefix: string): Promise<string[]> {
  const variants = [
    { step: 'step3+step4', variant: 'sampling=power; sampling-alpha=1; temperature=0.8' },
    { step: 'step3', variant: 'sampling=rank' },
    { step: 'step4', variant: 'temperature=1.2' },
  ];
  const out: string[] = [];
  for (const [i, v] of variants.entries()) {
    const id = `${prefix}-x${i}`;
    await seedBtpCampaign(db, id, 1, { experiment: { name, ...v } });
    out.push(id);
  }
  return out;
}
