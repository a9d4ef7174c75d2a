// Client overhead per one-token logprobs request (the EG-CFG next-token call) against the simulated server with a
// fixed latency. Time in the client = round trip − the server's own time for that request (arrival → end of answer,
// latency included), measured request by request (sequential requests, so stats deltas are per request).
// Prints ONE JSON line.   npx tsx bench/model.bench.ts [--requests 300] [--latency-ms 20] [--prompt-chars 6000]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { ModelClient } from '../activities/model/openai-client.ts';
import { startSimulatedModelServer } from '../activities/model/simulated-server.ts';

const { values } = parseArgs({ options: {
  requests: { type: 'string', default: '300' },
  'latency-ms': { type: 'string', default: '20' },
  'prompt-chars': { type: 'string', default: '6000' },
} });
const N = Number(values.requests);
const latencyMs = Number(values['latency-ms']);
const promptChars = Number(values['prompt-chars']);

const solution = 'def add_all(xs):\n    total = 0\n    for x in xs:\n        total = total + x\n    return total';
const key = 'assert add_all([1, 2, 3]) == 6';
const server = await startSimulatedModelServer({ knowledge: [{ keys: [key], solution, broken: [] }], latencyMs });
const client = new ModelClient({ baseUrl: server.url, maxRetries: 0 });
const filler = 'You are an AI programming assistant, utilizing the Deepseek Coder model. '.repeat(Math.ceil(promptChars / 73)).slice(0, promptChars);
const prompt = `${filler}\n### Instruction:\n>>> Test Cases:\n${key}\n\n### Response:\n\`\`\`python\ndef add_all(xs):\n    total = `;
const tokenPrompt = (await client.tokenize('simulated-model', prompt)).tokens;

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function measure(promptArg: string | number[]) {
  const rtt: number[] = [], srv: number[] = [], handler: number[] = [];
  for (let i = 0; i < N + 20; i++) {
    const s0 = server.stats();
    const t0 = performance.now();
    const r = await client.completions({ model: 'simulated-model', prompt: promptArg, max_tokens: 1, temperature: 0, logprobs: 5, return_tokens_as_token_ids: true });
    const t1 = performance.now();
    if (r.choices[0]!.logprobs!.tokens.length !== 1) throw new Error('expected one token');
    const s1 = server.stats();
    if (i < 20) continue; // warm-up
    rtt.push(t1 - t0);
    srv.push(s1.serverMs - s0.serverMs);
    handler.push(s1.handlerMs - s0.handlerMs);
  }
  const over = rtt.map((x, i) => x - srv[i]!);
  return {
    rttMsMean: r3(mean(rtt)), rttMsP50: r3(pct(rtt, 0.5)), rttMsP95: r3(pct(rtt, 0.95)),
    serverMsMean: r3(mean(srv)), serverHandlerMsMean: r3(mean(handler)),
    clientOverheadMsMean: r3(mean(over)), clientOverheadMsP50: r3(pct(over, 0.5)), clientOverheadMsP95: r3(pct(over, 0.95)),
  };
}

const text = await measure(prompt);
const ids = await measure(tokenPrompt);
await server.close();
console.log(JSON.stringify({
  bench: 'model-client-one-token-logprobs', requests: N, latencyMs, promptChars: prompt.length, promptTokens: tokenPrompt.length,
  node: process.version, textPrompt: text, tokenIdPrompt: ids,
}));
