// Kill the worker in the middle of a guided line (SIGKILL of its whole process group, sandbox included); a new worker
// resumes the generation from the last completed line: no step is written twice, the step numbers have no gaps, the
// interrupted line is redone by a later activity attempt, and the result equals an uninterrupted run's.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { and, asc, eq } from 'drizzle-orm';
import { problemSteps } from '../../api/problem-steps.ts';
import { problemViewer } from '../../api/problem-viewer.ts';
import { startSimulatedModelServer, type SimulatedServer } from '../../activities/model/simulated-server.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { signalCampaign, startCampaign, waitForCampaign } from '../../campaigns/service.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import { loadDataset, type Problem } from '../../core/datasets/index.ts';
import { buildPrompt } from '../../core/prompts/index.ts';
import { repoPath } from '../../core/repo.ts';
import { campaigns, egcfgGenerations, egcfgSteps, problems as problemsTable } from '../../db/schema/index.ts';
import { egcfgGenerationWorkflowId } from '../../workflows/egcfg.ts';
import type { RunningWorkers } from '../../workers/worker.ts';
import { integrationServices } from '../support/integration.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EG-CFG generation: worker killed mid-line, cancellation, context overflow', { timeout: 900_000 }, () => {
  let sim: SimulatedServer;
  let workers: RunningWorkers | undefined;
  let child: ChildProcess | undefined;
  let problem: Problem;

  // Registered before the fixture's hooks, so it runs first: the killed worker's process must not outlive Temporal.
  after(() => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  });
  const svc = integrationServices({
    workers: false,
    setup: async () => {
      problem = (await loadDataset('mbpp', { split: 'test' }))[0]!;
      // A fixed latency per request so that a line takes a while to decode (and the kill lands inside one).
      sim = await svc.startSimulatedServer({ knowledge: knowledgeFor([problem]), skill: 0, latencyMs: 15 });
    },
  });

  const ctx = () => ({ db: svc.db.db, client: svc.env.client });
  const opts = () => parseRunOptions({
    dataset: 'mbpp', method: 'eg-cfg', modelName: 'simulated-model', maxProblems: 1, gammas: [3], temperature: 0.7,
    numCandidates: 2, horizon: 2, maxNewTokens: 256, heartbeatTimeoutMs: 2000,
  });
  const model = () => ({ kind: 'openai' as const, baseUrl: sim.url, model: 'simulated-model', simulated: true });

  async function stepsOf(campaignId: string) {
    const [gen] = await svc.db.db.select().from(egcfgGenerations).where(eq(egcfgGenerations.campaignId, campaignId));
    assert.ok(gen, 'one generation');
    const steps = await svc.db.db.select().from(egcfgSteps).where(eq(egcfgSteps.generationId, gen.id)).orderBy(asc(egcfgSteps.seq));
    return { gen, steps };
  }

  test('a new worker resumes from the last completed line, with no duplicate steps', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', repoPath('test', 'fixtures', 'egcfg-worker.ts')], {
      env: { ...process.env, TEMPORAL_ADDRESS: svc.env.address, DATABASE_URL: svc.db.url }, detached: true, stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('ready')) resolve(); });
      child!.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
    const killed = await startCampaign(ctx(), opts(), model());
    const [p] = await svc.db.db.select({ id: problemsTable.id }).from(problemsTable)
      .where(and(eq(problemsTable.dataset, 'mbpp'), eq(problemsTable.taskId, problem.taskId)));
    // Wait until two lines are stored and the decoder is inside a third one (its heartbeat reports decoded tokens).
    let killedSeq = -1;
    let linesAtKill = 0;
    for (let i = 0; i < 600 && killedSeq < 0; i++) {
      await sleep(50);
      const gens = await svc.db.db.select().from(egcfgGenerations).where(eq(egcfgGenerations.campaignId, killed.campaignId));
      if (gens.length === 0) continue;
      const lines = (await svc.db.db.select().from(egcfgSteps).where(and(eq(egcfgSteps.generationId, gens[0]!.id), eq(egcfgSteps.kind, 'line')))).length;
      if (lines < 2) continue;
      const handle = svc.env.client.workflow.getHandle(egcfgGenerationWorkflowId(killed.campaignId, p!.id, gens[0]!.agent, 3, 0));
      const desc = await handle.describe();
      for (const a of desc.raw.pendingActivities ?? []) {
        if (a.activityType?.name !== 'egcfgDecodeLine' || !a.heartbeatDetails?.payloads?.length) continue;
        const details = defaultPayloadConverter.fromPayload<{ seq: number; tokens: number }>(a.heartbeatDetails.payloads[0]!);
        if (details.tokens >= 1) {
          process.kill(-child.pid!, 'SIGKILL');
          killedSeq = details.seq;
          linesAtKill = lines;
        }
      }
    }
    assert.ok(killedSeq >= 0, 'the worker was killed while a line was being decoded');
    await new Promise<void>((resolve) => (child!.exitCode !== null || child!.signalCode !== null ? resolve() : child!.once('exit', () => resolve())));
    const before = await stepsOf(killed.campaignId);
    assert.ok(!before.steps.some((s) => s.seq === killedSeq), 'the interrupted line had not been written');

    workers = await svc.startWorkers();
    await waitForCampaign(ctx(), killed.campaignId);
    const resumed = await stepsOf(killed.campaignId);
    assert.deepEqual(resumed.steps.map((s) => s.seq), resumed.steps.map((_, i) => i), 'steps 0..n-1, none twice, none missing');
    // Everything written before the kill is unchanged (not redone).
    for (const s of before.steps) assert.deepEqual(resumed.steps[s.seq]!.createdAt, s.createdAt);
    const redone = resumed.steps.find((s) => s.seq === killedSeq)!;
    assert.equal(redone.kind, 'line');
    assert.equal(redone.lineIndex, linesAtKill, 'the interrupted line is the one after the last completed line');
    assert.ok(redone.activityAttempt >= 2, 'written by a retry of the killed activity');
    const lines = resumed.steps.filter((s) => s.kind === 'line');
    assert.deepEqual(lines.map((s) => s.lineIndex), lines.map((_, i) => i));

    // An uninterrupted run of the same configuration produces the same steps and the same program.
    const reference = await startCampaign(ctx(), opts(), model());
    await waitForCampaign(ctx(), reference.campaignId);
    const ref = await stepsOf(reference.campaignId);
    const shape = (steps: typeof ref.steps) => steps.map((s) => [s.kind, s.lineIndex, s.appended, s.signal, s.tokenCount, s.changedTokens]);
    assert.deepEqual(shape(resumed.steps), shape(ref.steps));
    assert.equal(resumed.gen.finalCode, ref.gen.finalCode);
    assert.equal(resumed.gen.status, ref.gen.status);
    assert.ok(['passed', 'failed'].includes(resumed.gen.status));
  });

  test('cancelling the campaign mid-generation cancels the generation through Temporal and keeps its steps', async () => {
    assert.ok(workers, 'runs after the resume test, with its in-process workers');
    const created = await startCampaign(ctx(), opts(), model());
    let lines = 0;
    for (let i = 0; i < 600 && lines < 1; i++) {
      await sleep(50);
      const [gen] = await svc.db.db.select().from(egcfgGenerations).where(eq(egcfgGenerations.campaignId, created.campaignId));
      if (gen) lines = (await svc.db.db.select().from(egcfgSteps).where(and(eq(egcfgSteps.generationId, gen.id), eq(egcfgSteps.kind, 'line')))).length;
    }
    assert.ok(lines >= 1, 'a line was decoded before the cancel');
    await signalCampaign(ctx(), created.campaignId, 'cancel');
    await assert.rejects(waitForCampaign(ctx(), created.campaignId));
    const [c] = await svc.db.db.select().from(campaigns).where(eq(campaigns.id, created.campaignId));
    assert.equal(c!.status, 'cancelled');
    const { gen, steps } = await stepsOf(created.campaignId);
    assert.equal(gen.status, 'cancelled');
    assert.ok(steps.length >= 3 && steps.some((s) => s.kind === 'line'), 'the partial generation is kept');
    assert.deepEqual(steps.map((s) => s.seq), steps.map((_, i) => i));
  });

  /** One EG-CFG problem against a simulated server whose context has room for the prompt, the code and a 512-token
   *  candidate request, but not for a signal of several traces. */
  async function smallContextRun(advertiseContext: boolean) {
    const one = [problem];
    const probe = await startSimulatedModelServer({ knowledge: knowledgeFor(one) });
    const base = probe.tokenizer.encode(buildPrompt(one[0]!, 'deepseek_instruct')).length;
    await probe.close();
    const maxModelLen = base + 700;
    const small = await startSimulatedModelServer({ knowledge: knowledgeFor(one), skill: 0, maxModelLen, advertiseContext });
    try {
      const opts = parseRunOptions({
        dataset: 'mbpp', method: 'eg-cfg', modelName: 'simulated-model', maxProblems: 1, gammas: [3], temperature: 0.7,
        numCandidates: 3, horizon: null, maxNewTokens: 128, reasoningMaxTokens: 150,
      });
      const created = await startCampaign(ctx(), opts, { ...model(), baseUrl: small.url });
      const summary = await waitForCampaign(ctx(), created.campaignId) as { cost?: { guidanceLoss?: Record<string, number> } };
      const { gen, steps } = await stepsOf(created.campaignId);
      assert.ok(['passed', 'failed'].includes(gen.status), `the generation finished (${gen.status}: ${gen.error})`);
      assert.deepEqual(steps.map((s) => s.seq), steps.map((_, i) => i));
      const over = steps.filter((l) => typeof (l.summary as { contextOverflow?: string }).contextOverflow === 'string');
      const viewer = await problemSteps(svc.db.db, created.campaignId, problem.taskId);
      const page = String(await problemViewer(viewer));
      return { steps, over, maxModelLen, loss: summary.cost?.guidanceLoss, lines: viewer.generations.flatMap((g) => g.lines), page };
    } finally {
      await small.close();
    }
  }

  test('a server that does not say its context refuses a long conditional prompt: guidance is skipped for that line, recorded, and the generation goes on', async () => {
    const { steps, over, loss, lines: viewLines, page } = await smallContextRun(false);
    const lines = over.filter((s) => s.kind === 'line');
    assert.ok(lines.length > 0, 'some line met a conditional prompt over the context');
    for (const l of lines) {
      assert.match(String(l.summary.contextOverflow), /maximum context length/);
      assert.ok((l.tokens as Array<{ guided: boolean }>).some((t) => !t.guided), 'tokens after the overflow are unguided');
    }
    assert.ok(steps.every((s) => !('signalFit' in (s.summary as object))), 'nothing to fit against: no signal was fitted');
    assert.equal(loss?.overflowSteps, over.length, 'the summary counts the refused steps');
    assert.ok(viewLines.some((l) => l.contextLoss?.refused === true), 'the dashboard marks a line whose conditional prompt was refused');
    assert.match(page, /data-context-loss="refused"/);
  });

  test("a server that says its context (vLLM max_model_len): the signal is fitted to it, no conditional prompt is refused, and the summary counts the fitted signals", async () => {
    const { steps, over, maxModelLen, loss, lines: viewLines, page } = await smallContextRun(true);
    assert.equal(over.length, 0, 'no step met a refusal');
    const fitted = steps.filter((s) => s.kind === 'signal' && 'signalFit' in (s.summary as object));
    assert.ok(fitted.length > 0, 'some signal was fitted to the context');
    for (const s of fitted) {
      const f = s.summary.signalFit as { kept: number; dropped: number; condTokens: number; contextTokens: number };
      assert.equal(f.contextTokens, maxModelLen);
      assert.ok(f.dropped > 0 || f.kept === 0 || Number(s.summary.signalChars) > 0);
      assert.ok(f.condTokens + 64 + 512 <= maxModelLen, `fitted prompt ${f.condTokens} tokens leaves room for a 512-token request`);
      assert.ok(s.tokenizerCalls > 0, 'the fit was measured with the server tokenizer');
    }
    assert.equal(loss?.signalsFitted, fitted.length);
    assert.equal(loss?.overflowSteps, 0);
    assert.ok(viewLines.some((l) => l.contextLoss?.fitted !== null && l.contextLoss?.fitted !== undefined), 'the dashboard marks a fitted signal');
    assert.match(page, /data-context-loss="(fitted|emptied)"/);
  });
});
