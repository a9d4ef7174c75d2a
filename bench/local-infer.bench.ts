// Tokens/s of EG-CFG's local inference service (python/local_infer/, transformers float32 on the HF folder) vs
// llama.cpp's llama-server (the GGUF) on the same catalogue model, one thread each (EGCFG_LLAMA_THREADS, default 1
// here), one request at a time, measured in one run:
//   plain greedy   /v1/completions, temperature 0, `--tokens` new tokens, on both servers
//   guided         the endpoint path on llama-server (per token two 1-token top-k requests, unconditional and
//                  conditional, at once; the client's CFG) vs the local path (POST /v1/egcfg/line, full-vocabulary CFG
//                  and both sequences in one batched forward per token, line after line, KV caches reused)
// Needs the trainer env, `egcfg models pull NAME --hf` and llama-server. Prints ONE JSON line.
//   npx tsx bench/local-infer.bench.ts [--catalogue smollm2-135m-instruct] [--tokens 32]
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { guidedLine } from '../activities/model/local-infer-client.ts';
import { ModelClient } from '../activities/model/openai-client.ts';
import { cfgArgmax, topKFromTokenIdMap } from '../core/egcfg/cfg.ts';
import { catalogueModel } from '../core/models/catalogue.ts';
import { ensureLocalInfer } from '../core/models/local-infer.ts';
import { ensureLocalServer, stopLocalServers } from '../core/models/local-server.ts';

const { values } = parseArgs({ options: { catalogue: { type: 'string', default: 'smollm2-135m-instruct' }, tokens: { type: 'string', default: '32' } } });
const N = Number(values.tokens);
process.env.EGCFG_LLAMA_THREADS ??= '1';
const m = catalogueModel(values.catalogue);
const dataDir = mkdtempSync(join(tmpdir(), 'egcfg-local-infer-bench-'));
const quiet = () => {};
const UNCOND = 'Write a python function to find the volume of a cube.\n```python\ndef volume_cube(l):\n';
const COND = '### Runtime Behavior for Candidate Continuations\n# Invocation: volume_cube(3)\n# Execution Trace: l = 3, returned 9; expected 27\n\n' + UNCOND;

try {
  const llama = await ensureLocalServer(dataDir, m, { log: quiet });
  const local = await ensureLocalInfer(dataDir, m, { log: quiet });
  const lc = new ModelClient({ baseUrl: llama.url, dialect: 'llamacpp', maxRetries: 0, timeoutMs: 600_000 });
  const sc = new ModelClient({ baseUrl: local.url, dialect: 'vllm', maxRetries: 0, timeoutMs: 600_000 });
  const ids = async (c: ModelClient, t: string) => (await c.tokenize(m.name, t, { addSpecialTokens: false })).tokens;
  const timed = async (f: () => Promise<number>) => { const t0 = performance.now(); const n = await f(); return n / ((performance.now() - t0) / 1000); };
  const plain = async (c: ModelClient, prompt: number[]) => {
    const r = await c.completions({ model: m.name, prompt, max_tokens: N, temperature: 0 });
    return r.usage?.completion_tokens ?? 0;
  };
  const lu = await ids(lc, UNCOND), lcond = await ids(lc, COND);
  const su = await ids(sc, UNCOND), scond = await ids(sc, COND);
  await plain(lc, lu); await plain(sc, su); // warm-up (first-call allocations)
  const llamaPlain = await timed(() => plain(lc, lu));
  const localPlain = await timed(() => plain(sc, su));
  const llamaGuided = await timed(async () => {
    const out: number[] = [];
    const one = (p: number[]) => lc.completions({ model: m.name, prompt: [...p, ...out], max_tokens: 1, temperature: 0, logprobs: 20, return_tokens_as_token_ids: true });
    while (out.length < N) {
      const [u, c] = await Promise.all([one(lu), one(lcond)]);
      const top = (r: typeof u) => topKFromTokenIdMap(r.choices[0]!.logprobs!.top_logprobs![0]!);
      out.push(cfgArgmax(top(u), top(c), 3).tokenId);
    }
    return out.length;
  });
  const localGuided = await timed(async () => {
    const out: number[] = [];
    while (out.length < N) {
      const r = await guidedLine(local.url, { uncond_ids: [...su, ...out], cond_ids: [...scond, ...out], gamma: 3, max_tokens: N - out.length, top_logprobs: 5 });
      const kept = r.tokens.filter((t) => !t.eos).map((t) => t.id);
      if (kept.length === 0) break;
      out.push(...kept);
    }
    return out.length;
  });
  lc.close(); sc.close();
  const r2 = (x: number) => Math.round(x * 100) / 100;
  console.log(JSON.stringify({
    bench: 'local-infer', model: m.name, tokens: N, threads: Number(process.env.EGCFG_LLAMA_THREADS),
    llama_plain_tps: r2(llamaPlain), local_plain_tps: r2(localPlain), llama_guided_tps: r2(llamaGuided), local_guided_tps: r2(localGuided),
    guided_ratio_local_over_llama: r2(localGuided / llamaGuided), plain_ratio_local_over_llama: r2(localPlain / llamaPlain),
    llama: 'GGUF Q4_1, llama-server, endpoint path (top-20, two requests per token)', local: 'HF float32, transformers, /v1/egcfg/line (full vocabulary)',
    loadavg_1m: r2(loadavg()[0]!),
  }));
} finally {
  await stopLocalServers(dataDir);
}
