// `egcfg experiment` end to end in zero-config local mode (its own Temporal dev server and PGlite database in a
// temporary data folder), with the simulated model and the tiny local model: the quick BTP + fine-tuning step writes
// its tables (CSV + Markdown, labelled "simulated model") and its plot (well-formed SVG), and every campaign, iteration
// and training run is in the database, tagged with its experiment. Bad input exits 2 naming the problem.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { asc, eq, like } from 'drizzle-orm';
import { stopLocalTemporal } from '../../cli/temporal-local.ts';
import { freePort, runEgcfg, type CliResult } from '../support/cli.ts';
import { trainerEnvStatus } from '../../core/trainer-env.ts';
import { openDatabase } from '../../db/client.ts';
import { btpIterations, campaigns, problems, trainingRuns } from '../../db/schema/index.ts';

const trainerEnv = trainerEnvStatus();

describe('egcfg experiment (local mode, simulated model, tiny model)', { timeout: 1_200_000, skip: trainerEnv.installed ? false : `trainer env not installed: ${trainerEnv.reason}` }, () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  const egcfg = (args: string[]): Promise<CliResult> => runEgcfg(args, env);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'egcfg-exp-'));
    env = { ...process.env, EGCFG_DATA_DIR: dataDir, EGCFG_TEMPORAL_PORT: String(await freePort()) };
    delete env.TEMPORAL_ADDRESS;
    delete env.DATABASE_URL;
  }, { timeout: 300_000 });
  after(() => { stopLocalTemporal(dataDir); }, { timeout: 120_000 });

  test('step2-finetune --mode quick: per-iteration table and plot, everything recorded in the database', async () => {
    const out = join(dataDir, 'out');
    const r = await egcfg(['experiment', 'step2-finetune', '--mode', 'quick', '--max-problems', '3', '--output-dir', out, '--seed', '7']);
    assert.equal(r.code, 0, r.stderr.slice(-4000));
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { simulated: boolean; campaigns: number; files: string[] };
    assert.equal(line.simulated, true);
    assert.equal(line.campaigns, 1);
    for (const f of ['step2-finetune.csv', 'step2-finetune.md', 'step2-finetune.svg', 'experiment.json']) assert.ok(existsSync(join(out, f)), f);

    const md = readFileSync(join(out, 'step2-finetune.md'), 'utf8');
    assert.match(md, /^# Step 2: BTP \+ fine-tuning \(simulated model\)/);
    assert.match(md, /say nothing about any real model/);
    const csv = readFileSync(join(out, 'step2-finetune.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'iteration,model,problems,passed,pass@1 %,buffer size,train loss (last step),eval loss before,eval loss after,beams,beams passing all tests,mean beam pass rate,s/step,trainer peak MB,campaign');
    // Iteration 1 sampled beams, each tested (a pass rate in [0, 1]) and its trainer measured.
    const it1 = csv[2]!.split(',');
    assert.ok(Number(it1[9]) > 0 && Number(it1[11]) >= 0 && Number(it1[11]) <= 1 && Number(it1[12]) > 0 && Number(it1[13]) > 0, csv[2]);
    assert.deepEqual(csv.slice(1).map((l) => l.split(',')[0]), ['0', '1', '2'], 'the base model and two trained iterations');
    const svg = readFileSync(join(out, 'step2-finetune.svg'), 'utf8');
    assert.match(svg, /\(simulated model\)/);
    assert.match(svg, /<polyline /);
    // Well-formed XML (python's parser; no XML parser ships with node).
    execFileSync('python3', ['-c', 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])', join(out, 'step2-finetune.svg')]);

    // The PGlite database of the run: the campaign tagged with its experiment, 3 iterations, 2 training runs,
    // and no training on an evaluation problem.
    const h = await openDatabase(join(dataDir, 'pglite'));
    try {
      const [c] = await h.db.select().from(campaigns).where(eq(campaigns.method, 'btp'));
      assert.ok(c);
      assert.deepEqual((c.config as { experiment: unknown }).experiment, { name: 'btp-step2-finetune-quick', step: 'step2-finetune', variant: 'btp+ft=BTP + fine-tuning' });
      const its = await h.db.select().from(btpIterations).where(eq(btpIterations.campaignId, c.id)).orderBy(asc(btpIterations.iteration));
      assert.deepEqual(its.map((i) => i.iteration), [0, 1, 2]);
      const runs = await h.db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, c.id));
      assert.equal(runs.length, 2);
      for (const run of runs) {
        assert.equal(run.status, 'succeeded');
        const ids = readFileSync(join(run.outputDir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { problem_id: number }).problem_id);
        const rows = await h.db.select({ id: problems.id, split: problems.split }).from(problems);
        const split = new Map(rows.map((x) => [x.id, x.split]));
        for (const id of ids) assert.ok(['train', 'prompt'].includes(split.get(id)!), `training problem ${id} is in the ${split.get(id)} split`);
      }
      const evals = await h.db.select().from(campaigns).where(like(campaigns.id, `${c.id}-eval%`));
      assert.equal(evals.length, 3);
      const evalProblems = await h.db.select({ split: problems.split }).from(problems).where(eq(problems.split, 'test'));
      assert.ok(evalProblems.length >= 3);
    } finally {
      await h.close();
    }
  });

  test('run --method btp: the flags reach the campaign, one JSON line with pass@1 per iteration', async () => {
    const out = join(dataDir, 'run-out');
    const r = await egcfg(['run', '--dataset', 'mbpp', '--method', 'btp', '--model-name', 'sim-small', '--max-problems', '2',
      '--max-train-problems', '2', '--num-beams', '2', '--p2value-alpha', '0.3', '--sampling-method', 'rank', '--sampling-alpha', '0.5',
      '--buffer-size', '50', '--batch-size', '2', '--lora-r', '4', '--lora-alpha', '8', '--lora-dropout', '0', '--learning-rate', '0.01',
      '--epochs', '1', '--max-steps', '2', '--train-set-size', '4', '--iterations', '1', '--source-model', 'sim-big', '--target-model', 'sim-small',
      '--output-dir', out]);
    assert.equal(r.code, 0, r.stderr.slice(-4000));
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { method: string; simulated: boolean; source_model: string; target_model: string; iterations: { iteration: number; problems: number }[]; campaign_id: string };
    assert.equal(line.method, 'btp');
    assert.equal(line.simulated, true);
    assert.deepEqual([line.source_model, line.target_model], ['sim-big', 'sim-small']);
    assert.deepEqual(line.iterations.map((i) => [i.iteration, i.problems]), [[0, 2], [1, 2]]);
    assert.equal(readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').length, 2);
    const h = await openDatabase(join(dataDir, 'pglite'));
    try {
      const [c] = await h.db.select().from(campaigns).where(eq(campaigns.id, line.campaign_id));
      const cfg = c!.config;
      assert.deepEqual([cfg.numBeams, cfg.p2valueAlpha, cfg.samplingMethod, cfg.samplingAlpha, cfg.bufferSize, cfg.batchSize, cfg.loraR, cfg.loraAlpha, cfg.loraDropout],
        [2, 0.3, 'rank', 0.5, 50, 2, 4, 8, 0]);
      const [run] = await h.db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, line.campaign_id));
      const trainer = (run!.config as { trainer: Record<string, unknown> }).trainer;
      assert.deepEqual([trainer.loraR, trainer.loraAlpha, trainer.loraDropout, trainer.batchSize, trainer.lr, trainer.maxSteps], [4, 8, 0, 2, 0.01, 2]);
      assert.equal(run!.status, 'succeeded');
      assert.ok(existsSync(join(dataDir, 'tiny-model', 'config.json')), 'the tiny model was built into the data folder');
    } finally {
      await h.close();
    }
    const bad = await egcfg(['run', '--dataset', 'mbpp', '--method', 'btp', '--model-name', 'm', '--sampling-method', 'uniform']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /samplingMethod/);
  });

  test('bad input is named and exits 2', async () => {
    const r = await egcfg(['experiment', 'step9']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected one of step1, step2, step2-finetune, step3, step4, big-to-small, all; got 'step9'/);
    const m = await egcfg(['experiment', 'step1', '--mode', 'fast']);
    assert.equal(m.code, 2);
    assert.match(m.stderr, /'fast' is not quick, single or full/);
  });
});
