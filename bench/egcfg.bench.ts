// Benchmark (not a test): EG-CFG through Temporal (real dev server), Postgres and nsjail against the SIMULATED model
// server with a fixed latency per request, or (--server llama) a REAL model: a catalogue model on llama.cpp's
// llama-server (started in a temporary data folder, EGCFG_LLAMA_THREADS threads, default 1), or (--server local) the same
// catalogue model on the local inference service (python/local_infer/, the local-model path: one service call decodes
// a guided line with full-vocabulary CFG; needs the trainer env, its HF folder is made on first use). Per guided token of the token-by-token CFG path (γ ∉ {0, 1}) it splits the
// time into: waiting for the model server (the two one-token calls run concurrently), our client inside the decode
// activity (CFG merge, reply parsing, step machine, loading/writing the step row), and orchestration (Temporal: from
// the end of the previous step to the start of the line step, spread over the line's tokens). Also: tokens and model
// calls per solved problem. Prints ONE JSON line. With the simulated model the numbers measure our overhead, not a model.
// Usage: npx tsx bench/egcfg.bench.ts [--problems N] [--latency-ms L] [--gammas 0,0.5,1,3]
//        npx tsx bench/egcfg.bench.ts --server llama|local [--model qwen2.5-coder-0.5b-instruct] [--problems 1] [--gammas 3] [--max-new-tokens 128]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { and, asc, eq, notInArray } from 'drizzle-orm';
import { modelBackendCache } from '../activities/model-backend.ts';
import { closeSharedSandbox, getSharedSandbox } from '../activities/sandbox/index.ts';
import { parseRunOptions } from '../campaigns/options.ts';
import { startCampaign, waitForCampaign } from '../campaigns/service.ts';
import { knowledgeFor } from '../cli/simulated.ts';
import { loadDataset } from '../core/datasets/index.ts';
import { catalogueModel } from '../core/models/catalogue.ts';
import { ensureLocalInfer } from '../core/models/local-infer.ts';
import { ensureLocalServer, stopLocalServers } from '../core/models/local-server.ts';
import { repoPath } from '../core/repo.ts';
import { egcfgGenerations, egcfgSteps } from '../db/schema/index.ts';
import { freshPostgresDatabase, startTestTemporal } from '../test/support/services.ts';
import type { EgcfgCampaignSummary } from '../core/contracts.ts';
import { startWorkers } from '../workers/worker.ts';

const { values } = parseArgs({ options: {
  problems: { type: 'string' }, 'latency-ms': { type: 'string' }, gammas: { type: 'string' },
  server: { type: 'string' }, model: { type: 'string' }, 'max-new-tokens': { type: 'string' },
} });
const localPath = values.server === 'local';
const real = values.server === 'llama' || localPath;
if (values.server !== undefined && !real && values.server !== 'simulated') throw new Error(`--server simulated|llama|local, got ${values.server}`);
const limit = Number(values.problems ?? (real ? 1 : 4));
const latencyMs = Number(values['latency-ms'] ?? 20);
const gammas = (values.gammas ?? (real ? '3' : '0,0.5,1,3')).split(',').map(Number);
const maxNewTokens = Number(values['max-new-tokens'] ?? (real ? 128 : 512));
const modelName = real ? values.model ?? 'qwen2.5-coder-0.5b-instruct' : 'simulated-model';

const problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, limit);
const db = await freshPostgresDatabase();
const env = await startTestTemporal();
// The simulated server runs as its own process (as vLLM would), so its time is not taken from the worker's event loop.
// skill 0.3: unguided answers are mostly broken variants, so the guided γ values do run.
const knowledgeFile = join(mkdtempSync(join(tmpdir(), 'egcfg-bench-')), 'knowledge.json');
writeFileSync(knowledgeFile, JSON.stringify(knowledgeFor(problems)));
const server = real ? null : spawn(process.execPath, ['--import', 'tsx', repoPath('activities', 'model', 'simulated-server-main.ts'),
  '--knowledge-file', knowledgeFile, '--skill', '0.3', '--latency-ms', String(latencyMs), '--model', 'simulated-model'], { stdio: ['ignore', 'pipe', 'inherit'] });
const realDir = real ? mkdtempSync(join(tmpdir(), 'egcfg-bench-llama-')) : '';
if (real) process.env.EGCFG_LLAMA_THREADS ??= '1';
const startReal = (log: (l: string) => void) => (localPath ? ensureLocalInfer : ensureLocalServer)(realDir, catalogueModel(modelName), { log });
const sim = server === null ? await startReal((l) => console.error(l)) : await new Promise<{ url: string }>((resolve, reject) => {
  let buf = '';
  server.stdout.on('data', (d: Buffer) => { buf += d.toString(); if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]!) as { url: string }); });
  server.once('exit', (code) => reject(new Error(`simulated server exited (${code})`)));
});
const deps = { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() };
try {
  const workers = await startWorkers({ connection: env.nativeConnection, deps });
  const opts = parseRunOptions({
    dataset: 'mbpp', method: 'eg-cfg', modelName, maxProblems: limit, concurrency: limit, gammas,
    maxNewTokens,
    // On CPU: one agent (t 0.7, s 2, d 2) and short reasoning tries (a 2048-token try takes minutes and is not what
    // this measures); simulated: the quick grid's two agents.
    ...(real ? { temperature: 0.7, numCandidates: 2, horizon: 2, maxAgents: 1, reasoningMaxTokens: 384, ...(localPath ? { egcfgPath: 'local' as const } : {}) }
      : { grid: repoPath('data', 'egcfg', 'quick_grid.json'), maxAgents: 2 }),
  });
  const model = real
    ? { kind: 'openai' as const, baseUrl: sim.url, model: modelName, simulated: false, ...(localPath ? { dialect: 'vllm' as const, egcfgPath: 'local' as const } : { dialect: 'llamacpp' as const }) }
    : { kind: 'openai' as const, baseUrl: sim.url, model: 'simulated-model', simulated: true };
  const t0 = performance.now();
  const created = await startCampaign({ db: db.db, client: env.client }, opts, model);
  const summary = await waitForCampaign({ db: db.db, client: env.client }, created.campaignId) as EgcfgCampaignSummary;
  const wallMs = performance.now() - t0;
  await workers.shutdown();

  // Line steps of the token-by-token path, with the end time of the step before each.
  const gens = await db.db.select().from(egcfgGenerations)
    .where(and(eq(egcfgGenerations.campaignId, created.campaignId), notInArray(egcfgGenerations.gamma, [0, 1])));
  let tokens = 0, guided = 0, changed = 0, waitMs = 0, clientMs = 0, orchestrationMs = 0, lines = 0;
  for (const g of gens) {
    const steps = await db.db.select().from(egcfgSteps).where(eq(egcfgSteps.generationId, g.id)).orderBy(asc(egcfgSteps.seq));
    for (let i = 1; i < steps.length; i++) {
      const s = steps[i]!;
      if (s.kind !== 'line' || s.guidedTokens === 0) continue;
      const prev = steps[i - 1]!;
      lines++;
      tokens += s.tokenCount; guided += s.guidedTokens; changed += s.changedTokens;
      waitMs += s.modelMs;
      clientMs += s.durationMs - s.modelMs;
      // createdAt is when the row was written, i.e. the end of the step: the start of step i is end_i − duration_i.
      orchestrationMs += Math.max(0, s.createdAt.getTime() - s.durationMs - prev.createdAt.getTime());
    }
  }
  const per = (x: number) => (guided > 0 ? Math.round((x / guided) * 1000) / 1000 : null);
  const solved = summary.protocols.find((p) => p.protocol === 'paper')!.passed;
  const c = summary.cost;
  console.log(JSON.stringify({
    bench: 'egcfg', simulated: !real,
    ...(real
      ? { server: localPath ? 'local-infer' : 'llama.cpp', egcfg_path: localPath ? 'local' : 'endpoint', model: modelName, llama_threads: Number(process.env.EGCFG_LLAMA_THREADS), note: 'a real model: model_server is the wait for its replies (HTTP included)' }
      : { note: 'simulated model server with a fixed latency per request: measures our overhead, not a model', server_latency_ms: latencyMs }),
    problems: limit, gammas, agents: real ? 1 : 2, max_new_tokens: maxNewTokens, wall_ms: Math.round(wallMs),
    guided_tokens: guided, tokens, changed_by_guidance: changed, lines,
    per_guided_token_ms: {
      model_server: per(waitMs), client: per(clientMs), orchestration: per(orchestrationMs),
      ours_total: per(clientMs + orchestrationMs),
    },
    ours_over_model_ratio: waitMs > 0 ? Math.round(((clientMs + orchestrationMs) / waitMs) * 1000) / 1000 : null,
    solved_paper: solved, solved_strict: summary.protocols.find((p) => p.protocol === 'strict')!.passed,
    per_solved_problem: solved > 0 ? {
      model_calls: c.modelCalls / solved, prompt_tokens: c.promptTokens / solved, completion_tokens: c.completionTokens / solved,
      guided_tokens: c.guidedTokens / solved, sandbox_runs: c.sandboxRuns / solved,
    } : null,
    generations: c.generations, cancelled_generations: c.cancelledGenerations,
  }));
} finally {
  await closeSharedSandbox();
  server?.kill('SIGTERM');
  if (real) { await stopLocalServers(realDir); rmSync(realDir, { recursive: true, force: true }); }
  await env.teardown();
  await db.drop();
}
