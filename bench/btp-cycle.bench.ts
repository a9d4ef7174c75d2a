// The database side of a BTP iteration at MBPP scale, against the project's Postgres server: P2Value + buffer update
// (btpUpdateBuffer: load the buffer, dedupe/evict in core/btp ExperienceBuffer, write the diff in one transaction)
// and the prioritized training-set draw (btpSampleTrainingSet: load, O(log n) per draw, split guard, JSONL), for
// several iterations of candidates over all 384 MBPP train+prompt problems. Synthetic candidates (no model, no
// sandbox): this measures the bookkeeping only. Prints one JSON line.
//   npx tsx bench/btp-cycle.bench.ts [--beams 5] [--iterations 3] [--capacity 1000] [--k 256]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createActivities } from '../activities/index.ts';
import { modelBackendCache } from '../activities/model-backend.ts';
import { getSharedSandbox } from '../activities/sandbox/index.ts';
import { upsertProblems } from '../campaigns/service.ts';
import { codeHash, createRng } from '../core/btp/index.ts';
import { loadDataset } from '../core/datasets/index.ts';
import { beams, campaigns } from '../db/schema/index.ts';
import { freshPostgresDatabase } from '../test/support/services.ts';

const { values } = parseArgs({ options: { beams: { type: 'string' }, iterations: { type: 'string' }, capacity: { type: 'string' }, k: { type: 'string' } } });
const numBeams = Number(values.beams ?? 5);
const iterations = Number(values.iterations ?? 3);
const capacity = Number(values.capacity ?? 1000);
const k = Number(values.k ?? 256);

const db = await freshPostgresDatabase();
const work = mkdtempSync(join(tmpdir(), 'egcfg-btp-bench-'));
try {
  const train = (await loadDataset('mbpp', { split: 'all' })).filter((p) => p.split === 'train' || p.split === 'prompt');
  const ids = await upsertProblems(db.db, train);
  const campaignId = 'bench-btp';
  await db.db.insert(campaigns).values({ id: campaignId, method: 'btp', dataset: 'mbpp', model: 'bench', simulated: true, config: {} });
  const acts = createActivities({ db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() });
  const rng = createRng(1);
  const updateMs: number[] = [];
  const sampleMs: number[] = [];
  const outcomes: unknown[] = [];
  for (let it = 1; it <= iterations; it++) {
    // Candidates: the reference solution or one of a few variants per problem (so that duplicates occur, as with sampling).
    const rows = ids.flatMap((problemId, i) => Array.from({ length: numBeams }, (_, j) => {
      const variant = rng.nextInt(4);
      const code = `${train[i]!.canonicalSolution}\n# variant ${variant}`;
      const passRate = variant === 0 ? 1 : rng.nextInt(4) / 3;
      return { campaignId, iteration: it, problemId, beamIndex: j, candidate: code, codeHash: codeHash(code), possibility: 0.2 + 0.8 * rng.nextFloat(),
        passRate, testsPassed: Math.round(passRate * 3), testsTotal: 3, model: 'bench' };
    }));
    for (let i = 0; i < rows.length; i += 500) await db.db.insert(beams).values(rows.slice(i, i + 500));
    let t = performance.now();
    outcomes.push(await acts.btpUpdateBuffer({ campaignId, iteration: it, p2valueAlpha: 0.5, bufferSize: capacity, eviction: 'lowest-p2value' }));
    updateMs.push(performance.now() - t);
    t = performance.now();
    await acts.btpSampleTrainingSet({
      campaignId, iteration: it, trainSetSize: k, sampling: { kind: 'rank', alpha: 1 }, seed: 1, evalProblemIds: [], promptType: 'deepseek_instruct',
      trainPrompt: 'compact', bufferSize: capacity, eviction: 'lowest-p2value', workDir: work,
      trainer: { baseModelDir: '/nonexistent', loraR: 8, loraAlpha: 16, loraDropout: 0.05, learningRate: 2e-4, epochs: 1, maxSteps: 0, batchSize: 8, saveEvery: 10, maxLength: 512, threads: 1, device: 'cpu' },
    });
    sampleMs.push(performance.now() - t);
  }
  const round = (xs: number[]) => xs.map((x) => Math.round(x));
  console.log(JSON.stringify({
    bench: 'btp-cycle-db', problems: ids.length, beams_per_problem: numBeams, candidates_per_iteration: ids.length * numBeams, iterations, capacity, k,
    update_buffer_ms: round(updateMs), sample_training_set_ms: round(sampleMs), last_outcome: outcomes.at(-1),
  }));
} finally {
  await db.drop();
  rmSync(work, { recursive: true, force: true });
}
