// Completion tokens/s of a baseline campaign through the platform (Temporal workflows, activities, sandbox, Postgres)
// vs a load generator that sends the very same requests straight to the model server at the same concurrency: the
// prompts the campaign stored (samples.prompt) with its parameters. Both on a local llama-server for a catalogue
// model, each phase on a freshly started server (no prompt cached from the other), measured in one run (ratios, not
// absolute speeds, are what compare across noisy machines). Needs
// infra/llama-server.sh and `egcfg models pull NAME`. Prints ONE JSON line.
//   npx tsx bench/model-throughput.ts [--catalogue qwen2.5-coder-0.5b-instruct] [--dataset humaneval] [--problems 12] [--concurrency 4]
//     [--platform-concurrency N]   problems in flight in the campaign (default: --concurrency): more than the server's
//                                  slots keeps them busy while other problems are in the sandbox
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { ModelClient } from '../activities/model/openai-client.ts';
import { parseRunOptions } from '../campaigns/options.ts';
import { startCampaign, waitForCampaign } from '../campaigns/service.ts';
import { openRuntime } from '../cli/runtime.ts';
import { stopLocalTemporal } from '../cli/temporal-local.ts';
import { stopLocalDatabase } from '../db/local-owner.ts';
import { CHAT_STOPS } from '../core/prompts/chat.ts';
import { catalogueModel } from '../core/models/catalogue.ts';
import { ensureLocalServer, stopLocalServers } from '../core/models/local-server.ts';
import { samples } from '../db/schema/index.ts';

const { values } = parseArgs({ options: {
  catalogue: { type: 'string', default: 'qwen2.5-coder-0.5b-instruct' },
  dataset: { type: 'string', default: 'humaneval' },
  problems: { type: 'string', default: '12' },
  concurrency: { type: 'string', default: '4' },
  'platform-concurrency': { type: 'string' },
} });
const concurrency = Number(values.concurrency);
const platformConcurrency = Number(values['platform-concurrency'] ?? values.concurrency);
const m = catalogueModel(values.catalogue);
const dataDir = mkdtempSync(join(tmpdir(), 'egcfg-throughput-'));
const quiet = () => {};
const server = await ensureLocalServer(dataDir, m, { log: quiet });
const runtime = await openRuntime({ dataDir, log: quiet });
const ParamsSchema = z.object({ maxTokens: z.number(), temperature: z.number(), topP: z.number(), seed: z.number() }).passthrough();

try {
  const opts = parseRunOptions({
    dataset: values.dataset, method: 'baseline', modelName: m.name, promptFormat: m.promptFormat, temperature: 0,
    maxProblems: Number(values.problems), concurrency: platformConcurrency,
  });
  const model = { kind: 'openai' as const, baseUrl: server.url, model: m.name, simulated: false, dialect: 'llamacpp' as const };
  const ctx = { db: runtime.database.db, client: runtime.client };

  // The platform: one baseline campaign, timed from start to its result.
  const t0 = performance.now();
  const created = await startCampaign(ctx, opts, model);
  await waitForCampaign(ctx, created.campaignId);
  const platformS = (performance.now() - t0) / 1000;
  const rows = await runtime.database.db.select({ prompt: samples.prompt, params: samples.params, completionTokens: samples.completionTokens })
    .from(samples).where(and(eq(samples.campaignId, created.campaignId))).orderBy(asc(samples.id));
  const platformTokens = rows.reduce((a, r) => a + r.completionTokens, 0);

  // The reference: the same requests straight to the server, `concurrency` at a time, on a freshly started server:
  // llama-server keeps evaluated prompts in a host-memory cache across slots, so the same server would answer the
  // reference's prompts from the platform's cache (measured: 145 of 3,101 prompt tokens evaluated, 0.81x; cold both).
  await stopLocalServers(dataDir);
  const cold = await ensureLocalServer(dataDir, m, { log: quiet });
  const client = new ModelClient({ baseUrl: cold.url, maxRetries: 0, dialect: 'llamacpp', timeoutMs: 600_000 });
  const queue = rows.map((r) => ({ prompt: r.prompt ?? '', params: ParamsSchema.parse(r.params) }));
  let rawTokens = 0;
  const t1 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const reply = await client.completions({
        model: m.name, prompt: job.prompt, temperature: job.params.temperature, top_p: job.params.topP,
        max_tokens: job.params.maxTokens, seed: job.params.seed, stop: CHAT_STOPS, logprobs: 1,
      });
      rawTokens += reply.usage?.completion_tokens ?? 0;
    }
  }));
  const rawS = (performance.now() - t1) / 1000;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  console.log(JSON.stringify({
    bench: 'model-throughput', model: m.name, server: 'llama.cpp llama-server', dataset: values.dataset,
    problems: rows.length, concurrency, platform_concurrency: platformConcurrency, prompt_format: m.promptFormat,
    platform: { wall_s: r2(platformS), completion_tokens: platformTokens, tokens_per_s: r2(platformTokens / platformS) },
    raw_server: { wall_s: r2(rawS), completion_tokens: rawTokens, tokens_per_s: r2(rawTokens / rawS) },
    platform_vs_raw: r2((platformTokens / platformS) / (rawTokens / rawS)),
    goal: 'platform tokens/s >= 0.9x the raw server at the same concurrency (issue 16)',
  }));
} finally {
  await runtime.close();
  // Everything the bench's data folder started, as `egcfg down` stops it (the Temporal dev server outlives a runtime).
  await stopLocalServers(dataDir);
  stopLocalTemporal(dataDir);
  stopLocalDatabase(dataDir);
}
