// The BTP tables migrate on an in-memory PGlite and enforce their natural keys and value ranges.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { openDatabase, type DatabaseHandle } from '../../db/client.ts';
import { beams, btpIterations, bufferEntries, campaigns, problems, trainingRuns } from '../../db/schema/index.ts';
import { codeHash } from '../../core/btp/buffer.ts';
import { TrainConfigSchema } from '../../core/btp/trainer-protocol.ts';
import { stubProblem } from '../support/stub-problem.ts';

let h: DatabaseHandle;
let problemId = 0;

before(async () => {
  h = await openDatabase('memory://');
  await h.db.insert(campaigns).values({ id: 'c1', method: 'btp', dataset: 'mbpp', model: 'tiny', simulated: true, config: {} });
  const [p] = await h.db.insert(problems).values({
    contentHash: 'h601', dataset: 'mbpp', taskId: '601', split: 'train', statement: 's', visibleTests: [], problem: stubProblem('601', { split: 'train' }), raw: {},
  }).returning({ id: problems.id });
  problemId = p!.id;
}, { timeout: 60_000 });
after(async () => h?.close(), { timeout: 60_000 });

const cause = (e: unknown): string => {
  const err = e as { message?: string; cause?: { message?: string } };
  return `${err.message ?? ''} ${err.cause?.message ?? ''}`;
};

describe('db/schema/btp', { timeout: 60_000 }, () => {
  it('buffer_entries: unique (campaign_id, problem_id, code_hash); upsert keeps one row', async () => {
    const row = {
      campaignId: 'c1', problemId, code: 'return 1', codeHash: codeHash('return 1'), possibility: 0.5, passRate: 1,
      p2value: 0.75, sourceModel: 'tiny', iteration: 0, seq: 0,
    };
    await h.db.insert(bufferEntries).values(row);
    await assert.rejects(h.db.insert(bufferEntries).values({ ...row, seq: 1 }), (e) => /buffer_entries_natural_key|duplicate key/.test(cause(e)));
    await h.db.insert(bufferEntries).values({ ...row, p2value: 0.9, seq: 2 })
      .onConflictDoUpdate({ target: [bufferEntries.campaignId, bufferEntries.problemId, bufferEntries.codeHash], set: { p2value: 0.9, seq: 2 } });
    const rows = await h.db.select().from(bufferEntries);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.p2value, 0.9);
    await assert.rejects(h.db.insert(bufferEntries).values({ ...row, codeHash: 'x', p2value: 1.5 }), (e) => /buffer_entries_unit|check constraint/.test(cause(e)));
  });
  it('training_runs: unique (campaign_id, iteration), status checked, metrics jsonb', async () => {
    const run = { campaignId: 'c1', iteration: 1, baseModel: '/m', config: { trainer: TrainConfigSchema.parse({ baseModel: '/m', data: '/o/train.jsonl', output: '/o', lr: 1e-3 }) }, outputDir: '/o' };
    await h.db.insert(trainingRuns).values({ ...run, metrics: { final_loss: 1.5, losses: [2, 1.5] } });
    await assert.rejects(h.db.insert(trainingRuns).values(run), (e) => /training_runs_campaign_iteration|duplicate key/.test(cause(e)));
    await assert.rejects(h.db.insert(trainingRuns).values({ ...run, iteration: 2, status: 'exploded' }), (e) => /training_runs_status|check constraint/.test(cause(e)));
    const [r] = await h.db.select().from(trainingRuns);
    assert.deepEqual(r!.metrics, { final_loss: 1.5, losses: [2, 1.5] });
    assert.equal(r!.status, 'pending');
  });
  it('btp_iterations: one pass@1 per (campaign, iteration)', async () => {
    const it0 = { campaignId: 'c1', iteration: 0, model: 'tiny', problems: 10, passed: 3, passAt1: 0.3 };
    await h.db.insert(btpIterations).values(it0);
    await assert.rejects(h.db.insert(btpIterations).values(it0), (e) => /btp_iterations_campaign_iteration|duplicate key/.test(cause(e)));
  });
  it('beams: unique (campaign_id, iteration, problem_id, beam_index)', async () => {
    const b = { campaignId: 'c1', iteration: 0, problemId, beamIndex: 0, candidate: 'x', codeHash: codeHash('x'), possibility: 0.4, model: 'tiny', logprobsRef: 'samples:1' };
    await h.db.insert(beams).values(b);
    await h.db.insert(beams).values({ ...b, beamIndex: 1 });
    await assert.rejects(h.db.insert(beams).values(b), (e) => /beams_natural_key|duplicate key/.test(cause(e)));
    const n = await h.db.execute(sql`select count(*)::int as n from beams`);
    assert.equal((n as { rows: { n: number }[] }).rows[0]!.n, 2);
  });
});
