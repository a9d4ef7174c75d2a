// The signal fitted to the server's context before it is applied (activities/egcfg/signal-context.ts), and the
// client's context question per dialect (ModelClient.contextLength against hand-made /props and /v1/models servers).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { fitSignalToContext, LINE_GROWTH_TOKENS } from '../../activities/egcfg/signal-context.ts';
import { ModelClient, type ModelContext } from '../../activities/model/openai-client.ts';
import type { SignalEntry } from '../../core/egcfg/signal.ts';

const entry = (i: number, lines: number): SignalEntry => ({
  candidate: `def f(x):\n    return ${i}`, invocation: `f(${i})`,
  trace: Array.from({ length: lines }, (_, j) => `# line ${j}`).join('\n'),
});
/** One "token" per character of the rendered signal, on top of a 100-token prompt. */
const render = (es: SignalEntry[]) => es.map((e) => `${e.candidate}\n${e.invocation}\n${e.trace}`).join('\n');
const condTokens = async (signal: string) => 100 + signal.length;
const model = (ctx: ModelContext | undefined) => ({ contextLength: async () => ctx });
const entries = [entry(1, 10), entry(2, 10), entry(3, 10)];
const full = render(entries);

describe('the signal fitted to the model context (issue 11 item 10)', { timeout: 60_000 }, () => {
  it('unknown context: the whole signal, nothing recorded', async () => {
    const r = await fitSignalToContext({ model: model(undefined), entries, render, condTokens, requestTokens: 512 });
    assert.equal(r.signal, full);
    assert.equal(r.fit, undefined);
  });

  it('a prompt that fits: the whole signal, nothing recorded', async () => {
    const r = await fitSignalToContext({ model: model({ tokens: 100 + full.length + LINE_GROWTH_TOKENS, countsCompletion: false }), entries, render, condTokens, requestTokens: 512 });
    assert.equal(r.signal, full);
    assert.equal(r.fit, undefined);
  });

  it('vLLM counts the completion: the same context no longer fits once max_tokens is reserved', async () => {
    const tokens = 100 + full.length + LINE_GROWTH_TOKENS;
    assert.equal((await fitSignalToContext({ model: model({ tokens, countsCompletion: false }), entries, render, condTokens, requestTokens: 150 })).fit, undefined);
    const r = await fitSignalToContext({ model: model({ tokens, countsCompletion: true }), entries, render, condTokens, requestTokens: 150 });
    assert.ok(r.fit, 'fitted');
    assert.ok(r.fit.kept > 0 && r.fit.kept < entries.length, `some entries kept (${r.fit.kept})`);
    assert.ok(r.fit.condTokens + LINE_GROWTH_TOKENS + 150 <= tokens, `the fitted prompt (${r.fit.condTokens}) leaves room for the request`);
    assert.equal(r.fit.contextTokens, tokens);
  });

  it('drops trailing entries, and records what was left out', async () => {
    const two = render(entries.slice(0, 2));
    const r = await fitSignalToContext({ model: model({ tokens: 100 + two.length + LINE_GROWTH_TOKENS, countsCompletion: false }), entries, render, condTokens, requestTokens: 64 });
    assert.equal(r.signal, two);
    assert.deepEqual(r.fit, { dropped: 1, shortened: 0, linesOmitted: 0, kept: 2, contextTokens: 100 + two.length + LINE_GROWTH_TOKENS, condTokens: 100 + two.length });
  });

  it('tokenizes each candidate signal once', async () => {
    const seen: string[] = [];
    const counting = async (signal: string) => { seen.push(signal); return condTokens(signal); };
    const two = render(entries.slice(0, 2));
    const r = await fitSignalToContext({ model: model({ tokens: 100 + two.length + LINE_GROWTH_TOKENS, countsCompletion: false }), entries, render, condTokens: counting, requestTokens: 64 });
    assert.equal(r.signal, two);
    assert.equal(new Set(seen).size, seen.length, 'no signal measured twice');
    assert.ok(seen.includes(two), 'the fitted signal was measured by the search');
  });

  it('shortens the first trace to its latest lines when no whole entry fits', async () => {
    const r = await fitSignalToContext({ model: model({ tokens: 100 + 100 + LINE_GROWTH_TOKENS, countsCompletion: false }), entries, render, condTokens, requestTokens: 64 });
    assert.ok(r.fit);
    assert.equal(r.fit.kept, 1);
    assert.equal(r.fit.shortened, 1);
    assert.ok(r.fit.linesOmitted > 0);
    assert.match(r.signal, /earlier trace lines omitted/);
    assert.match(r.signal, /# line 9$/, 'the latest trace line is kept');
    assert.ok(r.fit.condTokens <= 100 + 100);
  });

  it('an empty signal when nothing fits (guidance skipped, kept 0)', async () => {
    const r = await fitSignalToContext({ model: model({ tokens: 100 + 5 + LINE_GROWTH_TOKENS, countsCompletion: false }), entries, render, condTokens, requestTokens: 64 });
    assert.equal(r.signal, '');
    assert.equal(r.fit?.kept, 0);
    assert.equal(r.fit?.dropped, 3);
  });
});

describe('ModelClient.contextLength per dialect', { timeout: 60_000 }, () => {
  const servers: Server[] = [];
  after(() => { for (const s of servers) s.close(); });
  const serve = async (routes: Record<string, unknown>): Promise<{ url: string; hits: string[] }> => {
    const hits: string[] = [];
    const s = createServer((req, res) => {
      hits.push(req.url ?? '');
      const body = routes[req.url ?? ''];
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { error: 'not found' }));
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, hits };
  };

  it("llama.cpp: one slot's n_ctx from /props, asked once", async () => {
    const { url, hits } = await serve({ '/props': { default_generation_settings: { n_ctx: 2048, params: {} }, total_slots: 4, build_info: 'b1' } });
    const c = new ModelClient({ baseUrl: url, dialect: 'llamacpp' });
    assert.deepEqual(await c.contextLength('m'), { tokens: 2048, countsCompletion: false });
    assert.deepEqual(await c.contextLength('m'), { tokens: 2048, countsCompletion: false });
    assert.equal(hits.filter((h) => h === '/props').length, 1);
  });

  it("vLLM: the model card's max_model_len, per model; a LoRA adapter's is its base model's", async () => {
    const { url } = await serve({ '/v1/models': { object: 'list', data: [
      { id: 'other', max_model_len: 1 }, { id: 'm', max_model_len: 4096 }, { id: 'adapter', parent: 'm', max_model_len: null },
    ] } });
    const c = new ModelClient({ baseUrl: url, dialect: 'vllm' });
    assert.deepEqual(await c.contextLength('adapter'), { tokens: 4096, countsCompletion: true });
    assert.deepEqual(await c.contextLength('other'), { tokens: 1, countsCompletion: true });
    assert.deepEqual(await c.contextLength('m'), { tokens: 4096, countsCompletion: true });
  });

  it('a generic endpoint does not say', async () => {
    const { url } = await serve({});
    assert.equal(await new ModelClient({ baseUrl: url, dialect: 'openai' }).contextLength('m'), undefined);
  });
});
