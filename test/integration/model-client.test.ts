// ModelClient against the simulated model server, over real HTTP on 127.0.0.1.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ModelClient, ModelServerError, choiceTopLogprobs, type CompletionResponse } from '../../activities/model/openai-client.ts';
import { startSimulatedModelServer, type SimulatedServer } from '../../activities/model/simulated-server.ts';
import { CFG_EPSILON } from '../../core/egcfg/constants.ts';

const ADD = { keys: ['assert add(1, 2) == 3'], solution: 'def add(a, b):\n    return a + b', broken: ['def add(a, b):\n    return a - b'] };
const MAXI = {
  keys: ['assert max_of([1, 5, 2]) == 5'],
  solution: 'def max_of(xs):\n    best = xs[0]\n    for x in xs:\n        if x > best:\n            best = x\n    return best',
  broken: [],
};
const knowledge = [ADD, MAXI];

function instructPrompt(assertLine: string, text = 'Write the function.'): string {
  return 'You are an AI programming assistant, utilizing the Deepseek Coder model.\n### Instruction:\n'
    + `${text}\n>>> Test Cases:\n${assertLine}\n\n### Response:\n`;
}
const SIGNAL = '### Runtime Behavior for Candidate Continuations\n# Function:\n...\n# Invocation:\nadd(1, 2)\n# Execution Trace:\n...\n';
const withSignal = (p: string) => p.replace('### Response:', `${SIGNAL}### Response:`);

let server: SimulatedServer;
let client: ModelClient;
const M = 'simulated-model';

before(async () => {
  server = await startSimulatedModelServer({ knowledge, skill: 0.5 });
  client = new ModelClient({ baseUrl: `${server.url}/v1`, maxRetries: 0 });
}, { timeout: 300_000 });
after(async () => { await server.close(); }, { timeout: 120_000 });

const strip = (r: CompletionResponse) => r.choices.map(({ index, text, logprobs, finish_reason, stop_reason }) => ({ index, text, logprobs, finish_reason, stop_reason }));

describe('completions', { timeout: 300_000 }, () => {
  test('say they are simulated, in the body and in a header', async () => {
    const res = await fetch(`${server.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: M, prompt: 'x', max_tokens: 1 }) });
    assert.equal(res.headers.get('x-simulated-model'), 'true');
    assert.equal((await res.json() as { system_fingerprint: string }).system_fingerprint, 'simulated-model');
    const models = await client.models();
    assert.equal(models.data[0]!.id, M);
  });

  test('temperature 0 answers a fenced program, the same every time', async () => {
    const req = { model: M, prompt: instructPrompt(ADD.keys[0]!), temperature: 0, max_tokens: 200 };
    const a = await client.completions(req);
    const b = await client.completions(req);
    assert.deepEqual(strip(a), strip(b));
    const text = a.choices[0]!.text;
    assert.match(text, /^```python\ndef add\(a, b\):\n {4}return a [+-] b\n```$/);
    assert.equal(a.choices[0]!.finish_reason, 'stop');
    assert.equal(a.usage!.completion_tokens! > 5, true);
    assert.equal(a.usage!.total_tokens, a.usage!.prompt_tokens + a.usage!.completion_tokens!);
  });

  test('n samples with a seed are reproducible, and the seed matters', async () => {
    const base = { model: M, prompt: instructPrompt(MAXI.keys[0]!), temperature: 0.8, max_tokens: 300, n: 8 };
    const a = await client.completions({ ...base, seed: 7 });
    const b = await client.completions({ ...base, seed: 7 });
    assert.equal(a.choices.length, 8);
    assert.deepEqual(a.choices.map((c) => c.index), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(strip(a), strip(b));
    const texts = new Set<string>();
    for (let seed = 0; seed < 6; seed++) for (const c of (await client.completions({ ...base, seed })).choices) texts.add(c.text);
    assert.ok(texts.size >= 2, `expected the solution and a broken variant among 48 samples, got ${[...texts].join(' | ')}`);
    for (const t of texts) assert.match(t, /^```python\ndef max_of\(xs\):\n[\s\S]*\n```$/);
  });

  test('stop strings cut the text and are reported', async () => {
    const r = await client.completions({ model: M, prompt: instructPrompt(ADD.keys[0]!), temperature: 0, max_tokens: 200, stop: ['return', 'zzz'] });
    assert.equal(r.choices[0]!.text, '```python\ndef add(a, b):\n    ');
    assert.equal(r.choices[0]!.finish_reason, 'stop');
    assert.equal(r.choices[0]!.stop_reason, 'return');
  });

  test('max_tokens ends with finish_reason length, and logprobs line up with the text', async () => {
    const r = await client.completions({ model: M, prompt: instructPrompt(MAXI.keys[0]!), temperature: 0, max_tokens: 9, logprobs: 4 });
    const c = r.choices[0]!;
    assert.equal(c.finish_reason, 'length');
    assert.equal(r.usage!.completion_tokens, 9);
    const lp = c.logprobs!;
    assert.equal(lp.tokens.length, 9);
    assert.equal(lp.tokens.join(''), c.text);
    for (let i = 0; i < 9; i++) {
      assert.equal(lp.text_offset[i], lp.tokens.slice(0, i).join('').length);
      const top = choiceTopLogprobs(c, i);
      assert.ok(top.length >= 4 && top.length <= 5);
      const mine = top.find((t) => t.text === lp.tokens[i]);
      assert.ok(mine, `the sampled token ${JSON.stringify(lp.tokens[i])} is among its top logprobs`);
      assert.equal(mine.logprob, lp.token_logprobs[i]);
      assert.ok(top.every((t, j) => j === 0 || t.logprob <= top[j - 1]!.logprob));
    }
  });

  test('return_tokens_as_token_ids gives token_id:<n> keys that detokenize to the text', async () => {
    const r = await client.completions({ model: M, prompt: instructPrompt(ADD.keys[0]!), temperature: 0, max_tokens: 200, logprobs: 2, return_tokens_as_token_ids: true });
    const c = r.choices[0]!;
    const ids = c.logprobs!.tokens.map((t) => Number(/^token_id:(\d+)$/.exec(t)![1]));
    assert.equal(ids.at(-1), 0, 'the last token is end-of-text');
    assert.equal(await client.detokenize(M, ids.slice(0, -1)), c.text);
    const top = choiceTopLogprobs(c, 0);
    assert.ok(top.every((t) => typeof t.tokenId === 'number' && t.text === ''));
  });

  test('a token-id prompt gets the same answer as the same prompt as text', async () => {
    const prompt = instructPrompt(ADD.keys[0]!) + '```python\ndef add(a, b):\n    return';
    const { tokens } = await client.tokenize(M, prompt);
    const req = { model: M, temperature: 0, max_tokens: 50, logprobs: 5 };
    const a = await client.completions({ ...req, prompt });
    const b = await client.completions({ ...req, prompt: tokens });
    assert.deepEqual(strip(a), strip(b));
    assert.equal(a.usage!.prompt_tokens, tokens.length);
  });

  test('echo returns the prompt before the completion', async () => {
    const prompt = instructPrompt(ADD.keys[0]!);
    const r = await client.completions({ model: M, prompt, temperature: 0, max_tokens: 3, echo: true, logprobs: 1 });
    const c = r.choices[0]!;
    assert.ok(c.text.startsWith(prompt));
    assert.equal(c.text.length > prompt.length, true);
    assert.equal(c.logprobs!.token_logprobs[0], null);
    assert.equal(c.logprobs!.tokens.join(''), c.text);
  });

  test('an unknown problem gets a plausible but wrong function named after the test', async () => {
    const r = await client.completions({ model: M, prompt: instructPrompt('assert mystery(4) == 16'), temperature: 0, max_tokens: 100 });
    assert.equal(r.choices[0]!.text, '```python\ndef mystery(*args):\n    return None\n```');
  });

  test('few-shot examples in the prompt do not hide the task: the last matching problem wins', async () => {
    const prompt = instructPrompt(MAXI.keys[0]!, `Examples:\n>>> Test Cases:\n${ADD.keys[0]}\n>>> Code:\n\`\`\`python\n${ADD.solution}\n\`\`\`\nHere is my problem:`);
    const r = await client.completions({ model: M, prompt, temperature: 0, max_tokens: 300 });
    assert.match(r.choices[0]!.text, /def max_of\(xs\)/);
  });
});

describe('execution guidance has a visible, deterministic effect', { timeout: 300_000 }, () => {
  let wrongServer: SimulatedServer;
  let c: ModelClient;
  before(async () => {
    wrongServer = await startSimulatedModelServer({ knowledge, skill: 0 }); // the model always believes a broken variant
    c = new ModelClient({ baseUrl: wrongServer.url, maxRetries: 0 });
  }, { timeout: 300_000 });
  after(async () => { await wrongServer.close(); }, { timeout: 120_000 });

  /** Greedy token loop over two prompts with the top-k CFG merge of the EG-CFG spec (section 4). */
  async function decode(gamma: number, task: typeof ADD): Promise<string> {
    const base = instructPrompt(task.keys[0]!);
    const uncond = (await c.tokenize(M, base)).tokens;
    const cond = (await c.tokenize(M, withSignal(base))).tokens;
    const out: number[] = [];
    for (let step = 0; step < 200; step++) {
      const ask = (p: number[]) => c.completions({ model: M, prompt: [...p, ...out], max_tokens: 1, temperature: 0, logprobs: 5, return_tokens_as_token_ids: true });
      const [u, k] = await Promise.all([ask(uncond), ask(cond)]);
      const pu = new Map(choiceTopLogprobs(u.choices[0]!).map((t) => [t.tokenId!, Math.exp(t.logprob)]));
      const pc = new Map(choiceTopLogprobs(k.choices[0]!).map((t) => [t.tokenId!, Math.exp(t.logprob)]));
      let best = -1, bestScore = -Infinity;
      for (const id of new Set([...pu.keys(), ...pc.keys()])) {
        const p = pu.get(id) ?? 0, q = pc.get(id) ?? 0, eps = CFG_EPSILON;
        const score = Math.log(p + 1e-300) + gamma * (Math.log(q + eps) - Math.log(p + eps));
        if (score > bestScore || (score === bestScore && id < best)) { best = id; bestScore = score; }
      }
      if (best === 0) break;
      out.push(best);
    }
    return c.detokenize(M, out);
  }

  test('γ = 0 follows the broken belief, γ ≥ 1 writes the solution', async () => {
    assert.equal(await decode(0, ADD), `\`\`\`python\n${ADD.broken[0]}\n\`\`\``);
    assert.equal(await decode(0.5, ADD), `\`\`\`python\n${ADD.broken[0]}\n\`\`\``);
    assert.equal(await decode(1, ADD), `\`\`\`python\n${ADD.solution}\n\`\`\``);
    assert.equal(await decode(3, ADD), `\`\`\`python\n${ADD.solution}\n\`\`\``);
  });

  test('a greedy completion of the prompt with the signal continues with the solution', async () => {
    const partial = '```python\ndef add(a, b):\n    return a';
    const plain = await c.completions({ model: M, prompt: instructPrompt(ADD.keys[0]!) + partial, temperature: 0, max_tokens: 64 });
    const guided = await c.completions({ model: M, prompt: withSignal(instructPrompt(ADD.keys[0]!)) + partial, temperature: 0, max_tokens: 64 });
    assert.equal(plain.choices[0]!.text, ' - b\n```');
    assert.equal(guided.choices[0]!.text, ' + b\n```');
  });

  test('text off every known variant is continued as a substitution', async () => {
    const r = await c.completions({ model: M, prompt: `${instructPrompt(ADD.keys[0]!)}\`\`\`python\ndef add(a, b):\n    return a * b`, temperature: 0, max_tokens: 64 });
    assert.equal(r.choices[0]!.text, '\n```');
    const mid = await c.completions({ model: M, prompt: `${instructPrompt(ADD.keys[0]!)}\`\`\`python\ndef add(a, b):\n    return a *`, temperature: 0, max_tokens: 64 });
    assert.equal(mid.choices[0]!.text, ' b\n```');
  });
});

describe('tokenize / detokenize', { timeout: 300_000 }, () => {
  test('round-trip exactly, including unicode and odd whitespace', async () => {
    for (const s of ['', 'def f(x):\r\n\treturn x**2  # ünïcødé 🚀', '   \n\n  x_1 = 10_000 + 0x1F', ADD.solution, instructPrompt(ADD.keys[0]!)]) {
      const t = await client.tokenize(M, s);
      assert.equal(t.count, t.tokens.length);
      assert.equal(await client.detokenize(M, t.tokens), s);
    }
  });

  test('a token id the vocabulary lacks is a 400, not retried', async () => {
    await assert.rejects(client.detokenize(M, [2 ** 31 - 2]), (e: unknown) => e instanceof ModelServerError && e.status === 400 && !e.retryable && /not in the simulated vocabulary/.test(e.message));
  });
});

describe('LoRA adapters and model names', { timeout: 300_000 }, () => {
  test('load, list, use, reload (idempotent), unload', async () => {
    const loaded = await client.loadLoraAdapter('btp-cycle-1', '/tmp/adapters/cycle-1');
    assert.deepEqual({ ...loaded, message: undefined }, { name: 'btp-cycle-1', alreadyLoaded: false, message: undefined });
    const again = await client.loadLoraAdapter('btp-cycle-1', '/tmp/adapters/cycle-1');
    assert.equal(again.alreadyLoaded, true);
    const models = await client.models();
    const card = models.data.find((m) => m.id === 'btp-cycle-1');
    assert.equal(card?.parent, M);
    assert.equal(card?.root, '/tmp/adapters/cycle-1');
    const r = await client.completions({ model: 'btp-cycle-1', prompt: instructPrompt(ADD.keys[0]!), temperature: 0, max_tokens: 100 });
    assert.equal(r.model, 'btp-cycle-1');
    assert.match(r.choices[0]!.text, /def add/);
    assert.equal((await client.unloadLoraAdapter('btp-cycle-1')).wasLoaded, true);
    assert.equal((await client.unloadLoraAdapter('btp-cycle-1')).wasLoaded, false);
    await assert.rejects(client.completions({ model: 'btp-cycle-1', prompt: 'x', max_tokens: 1 }), (e: unknown) => e instanceof ModelServerError && e.status === 404);
  });

  test('load_inplace replaces the weights under a name; checkLoraPath refuses a directory without an adapter', async () => {
    const strict = await startSimulatedModelServer({ knowledge, checkLoraPath: true });
    try {
      const c = new ModelClient({ baseUrl: strict.url, maxRetries: 0 });
      const dir = mkdtempSync(join(tmpdir(), 'lora-'));
      await assert.rejects(c.loadLoraAdapter('a', dir), (e: unknown) => e instanceof ModelServerError && e.status === 404 && !e.retryable && e.message.includes(`No adapter found for ${dir}`));
      writeFileSync(join(dir, 'adapter_config.json'), '{}');
      assert.equal((await c.loadLoraAdapter('a', dir)).alreadyLoaded, false);
      const dir2 = mkdtempSync(join(tmpdir(), 'lora-'));
      writeFileSync(join(dir2, 'adapter_config.json'), '{}');
      assert.equal((await c.loadLoraAdapter('a', dir2, { loadInplace: true })).alreadyLoaded, false);
      assert.equal((await c.models()).data.find((m) => m.id === 'a')?.root, dir2);
      c.close();
    } finally {
      await strict.close();
    }
  });

  test('an unknown model is a 404 with the server message, not retried', async () => {
    const retrying = new ModelClient({ baseUrl: server.url, maxRetries: 3, backoffMs: 1 });
    const before = server.stats().requests;
    await assert.rejects(retrying.completions({ model: 'no-such-model', prompt: 'x', max_tokens: 1 }), (e: unknown) => {
      assert.ok(e instanceof ModelServerError);
      assert.equal(e.status, 404);
      assert.equal(e.retryable, false);
      assert.equal(e.attempts, 1);
      assert.equal(e.serverMessage, 'The model `no-such-model` does not exist.');
      assert.match(e.message, /\/v1\/completions failed with HTTP 404: The model `no-such-model` does not exist\./);
      return true;
    });
    assert.equal(server.stats().requests - before, 1);
  });
});

describe('requests that are wrong', { timeout: 300_000 }, () => {
  test('are refused before sending when they break the schema', async () => {
    const before = server.stats().requests;
    await assert.rejects(client.completions({ model: M, prompt: 'x', temperature: -1 }), (e: unknown) => e instanceof ModelServerError && e.kind === 'invalid-request' && /temperature/.test(e.message) && !e.retryable);
    assert.equal(server.stats().requests, before);
  });

  test('surface the server’s 400 message', async () => {
    await assert.rejects(client.completions({ model: M, prompt: 'x', logprobs: 50 }), (e: unknown) => e instanceof ModelServerError && e.status === 400 && /greater than max allowed: 20/.test(e.message) && !e.retryable);
  });
});

describe('chat', { timeout: 300_000 }, () => {
  test('answers in the instruct layout with logprobs', async () => {
    const r = await client.chat({ model: M, messages: [{ role: 'user', content: `Write add.\n${ADD.keys[0]}` }], temperature: 0, logprobs: true, top_logprobs: 3 });
    const ch = r.choices[0]!;
    assert.equal(ch.message.role, 'assistant');
    assert.match(ch.message.content!, /^```python\ndef add\(a, b\):/);
    assert.equal(r.system_fingerprint, 'simulated-model');
    const lps = ch.logprobs!.content!;
    assert.equal(lps.slice(0, -1).map((t) => t.token).join(''), ch.message.content);
    assert.ok(lps.every((t) => t.top_logprobs.length >= 3));
  });
});
