// Records the workflow histories that test/integration/workflow-replay.test.ts replays: short baseline, EG-CFG and
// BTP campaigns through a Temporal dev server of their own, the project's Postgres server (a fresh database), nsjail,
// the simulated model server and (BTP) the LoRA trainer on the tiny local model. Writes
// test/fixtures/histories/<workflowType>-<status>[-<n>].json (format: test/support/histories.ts): every run of the
// campaign workflows, and per child workflow type and status the run with the longest history.
//
//   npm run record-histories            (baseline, eg-cfg, btp; BTP is skipped, with a message, when the trainer env is missing)
//   npm run record-histories -- baseline eg-cfg
//   npm run record-histories -- experiment   (a two-campaign experiment workflow; keeps only btpExperiment's history)
//
// Re-record after a deliberate, patched() change of workflow code, and commit the new files with it.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { knowledgeFor } from '../../activities/model/simulated-knowledge.ts';
import { startSimulatedModelServer } from '../../activities/model/simulated-server.ts';
import { closeSharedSandbox, getSharedSandbox } from '../../activities/sandbox/index.ts';
import { parseRunOptions, type RunOptionsInput } from '../../campaigns/options.ts';
import { startCampaign, waitForCampaign } from '../../campaigns/service.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { repoPath } from '../../core/repo.ts';
import { spawnTrainer, trainerEnvStatus } from '../../core/trainer-env.ts';
import { startWorkers } from '../../workers/worker.ts';
import { runExperimentWorkflow } from '../../cli/experiment-workflow.ts';
import { fixtureWorkflowType, historiesDir, historyToFixture, isRecordedName } from './histories.ts';
import { freshPostgresDatabase, startTestTemporal } from './services.ts';
/** The workflows whose every run is kept (the rest: the longest run per type and status). */
const campaignTypes = new Set(['baselineCampaign', 'egcfgCampaign', 'btpCycle']);

const methods = process.argv.slice(2).length ? process.argv.slice(2) : ['baseline', 'eg-cfg', 'btp'];
/** An experiment's children are ordinary campaigns already recorded by the other methods: keep only its own history. */
const onlyTypes = methods.length === 1 && methods[0] === 'experiment' ? new Set(['btpExperiment']) : undefined;
const log = (line: string): void => { process.stderr.write(`record-histories: ${line}\n`); };

const [env, db] = await Promise.all([startTestTemporal(), freshPostgresDatabase()]);
const dir = mkdtempSync(join(tmpdir(), 'egcfg-histories-'));
try {
  const all = await loadDataset('mbpp', { split: 'all' });
  const sim = await startSimulatedModelServer({ knowledge: knowledgeFor(all), modelName: 'sim', skill: 0.5, checkLoraPath: true });
  const workers = await startWorkers({ connection: env.nativeConnection, deps: { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() } });
  const ctx = { db: db.db, client: env.client };
  const model = { kind: 'openai' as const, baseUrl: sim.url, model: 'sim', simulated: true };
  const run = async (input: RunOptionsInput): Promise<void> => {
    const created = await startCampaign(ctx, parseRunOptions(input), model);
    const summary = await waitForCampaign(ctx, created.campaignId);
    log(`${input.method ?? 'baseline'} campaign ${created.campaignId}: ${summary.passed}/${summary.problems} passed`);
  };
  try {
    if (methods.includes('baseline')) await run({ dataset: 'mbpp', modelName: 'sim', maxProblems: 3, concurrency: 2 });
    if (methods.includes('eg-cfg')) {
      await run({ dataset: 'mbpp', method: 'eg-cfg', modelName: 'sim', maxProblems: 1, gammas: [0, 3], temperature: 0.7, numCandidates: 2, horizon: 2, maxNewTokens: 256 });
    }
    if (methods.includes('experiment')) {
      const entry = (seed: number) => ({
        options: { ...parseRunOptions({ dataset: 'mbpp', modelName: 'sim', maxProblems: 2, concurrency: 2, seed }) }, target: model,
        variants: [{ step: 'step1', group: 'baseline', label: `seed ${seed}`, value: seed, method: 'baseline' as const, over: {} }],
      });
      const r = await runExperimentWorkflow(ctx.client, {
        meta: { name: 'record', mode: 'quick', steps: ['step1'], simulated: true, targetModel: 'sim', sourceModel: 'sim', dataset: 'mbpp', seed: 1, outputDir: join(dir, 'experiment'), database: 'record' },
        entries: [entry(1), entry(2)],
      }, log);
      log(`experiment: ${r.campaigns} campaigns, files ${r.files.join(', ')}`);
    }
    if (methods.includes('btp')) {
      const trainer = trainerEnvStatus();
      if (!trainer.installed) log(`btp skipped: trainer env not installed (${trainer.reason}); bash infra/trainer-env.sh installs it`);
      else {
        const tinyModel = join(dir, 'tiny');
        const built = await spawnTrainer('tiny_model', ['--output', tinyModel]).done;
        if (built.code !== 0) throw new Error(`tiny model build failed: ${built.stderr}`);
        await run({
          dataset: 'mbpp', method: 'btp', modelName: 'sim', maxProblems: 2, maxTrainProblems: 3, numBeams: 2, beamTemperature: 0.8,
          trainSetSize: 4, batchSize: 2, maxSteps: 2, saveEvery: 2, learningRate: 0.01, iterations: 1, concurrency: 2,
          baseModelDir: tinyModel, workDir: join(dir, 'work'), maxTokens: 256,
        });
      }
    }
  } finally {
    await workers.shutdown();
    await sim.close();
  }

  // Every closed run in this private namespace: keep the campaign runs, and the longest child run per type and status.
  const chosen = new Map<string, { name: string; events: number; json: string }>();
  const kept: Array<{ name: string; json: string }> = [];
  for await (const wf of env.client.workflow.list()) {
    if (wf.status.name === 'RUNNING' || (onlyTypes && !onlyTypes.has(wf.type))) continue;
    const history = await env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const status = wf.status.name.toLowerCase();
    const entry = { name: `${wf.type}-${status}`, events: history.events?.length ?? 0, json: historyToFixture(history) };
    if (campaignTypes.has(wf.type) || onlyTypes) kept.push(entry);
    else if ((chosen.get(entry.name)?.events ?? -1) < entry.events) chosen.set(entry.name, entry);
  }
  kept.push(...chosen.values());
  // Replace the files of the workflow types recorded now; keep the others, and any file not named as we name them.
  mkdirSync(historiesDir, { recursive: true });
  const types = new Set(kept.map((k) => fixtureWorkflowType(k.name)));
  for (const f of readdirSync(historiesDir)) {
    if (isRecordedName(f) && types.has(fixtureWorkflowType(f))) rmSync(join(historiesDir, f));
  }
  const seen = new Map<string, number>();
  for (const k of kept.sort((a, b) => a.name.localeCompare(b.name))) {
    const n = (seen.get(k.name) ?? 0) + 1;
    seen.set(k.name, n);
    const file = join(historiesDir, `${k.name}${n > 1 ? `-${n}` : ''}.json`);
    writeFileSync(file, k.json);
    log(`wrote ${file.slice(repoPath().length + 1)}`);
  }
} finally {
  await closeSharedSandbox();
  await env.teardown();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
}
