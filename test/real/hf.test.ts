// `egcfg models pull NAME --hf`: the catalogue's GGUF as a Hugging Face folder (for vLLM and the LoRA trainer). The
// converted model must be the same model: its greedy continuation of a prompt equals llama.cpp's on the GGUF token for
// token, and its next-token top-5 is the same set. Needs the trainer env (test/run.sh installs it) and llama-server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ModelClient } from '../../activities/model/openai-client.ts';
import { catalogueModel } from '../../core/models/catalogue.ts';
import { ensureLocalServer, stopLocalServers } from '../../core/models/local-server.ts';
import { repoPath } from '../../core/repo.ts';
import { trainerPython, trainerSpawnEnv } from '../../core/trainer-env.ts';
import { runEgcfg } from '../support/cli.ts';

const NAME = 'smollm2-135m-instruct';
const PROMPT = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n';

function hfGreedy(hfDir: string, ids: number[], n: number): Promise<{ greedy_ids: number[]; top5: number[]; top5_logprobs: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(trainerPython(), [repoPath('python', 'models', 'hf_greedy.py'), hfDir, String(n)], { env: trainerSpawnEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += String(d); });
    child.stderr.on('data', (d) => { err = (err + String(d)).slice(-3000); });
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`hf_greedy exit ${code}: ${err}`))));
    child.stdin.end(JSON.stringify(ids));
  });
}

describe('a catalogue model as a Hugging Face folder (real-model tier)', { timeout: 15 * 60_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'egcfg-hf-'));
  after(async () => { await stopLocalServers(dataDir); }, { timeout: 60_000 });

  test('pull --hf writes the folder once; greedy decoding matches llama.cpp token for token', { timeout: 12 * 60_000 }, async () => {
    const first = await runEgcfg(['models', 'pull', NAME, '--hf'], process.env);
    assert.equal(first.code, 0, first.stderr.slice(-2000));
    const line = JSON.parse(first.stdout.trim().split('\n').at(-1)!) as { hf_dir: string; sha256: string; parameters: number };
    const m = catalogueModel(NAME);
    assert.equal(line.sha256, m.sha256);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) assert.ok(existsSync(join(line.hf_dir, f)), `${f} in ${line.hf_dir}`);
    const stamp = JSON.parse(readFileSync(join(line.hf_dir, 'egcfg-source.json'), 'utf8')) as { sha256: string };
    assert.equal(stamp.sha256, m.sha256, 'the folder names the GGUF it came from');
    assert.ok(line.parameters > 100e6 && line.parameters < 200e6, `SmolLM2-135M has ~135M parameters, not ${line.parameters}`);

    const again = await runEgcfg(['models', 'pull', NAME, '--hf'], process.env);
    assert.equal(again.code, 0, again.stderr.slice(-2000));
    assert.match(again.stderr, /is up to date/, 'a second pull reuses the folder');

    const server = await ensureLocalServer(dataDir, m, { log: () => {} });
    const client = new ModelClient({ baseUrl: server.url, maxRetries: 1, dialect: 'llamacpp' });
    const ids = (await client.tokenize(NAME, PROMPT)).tokens;
    const reply = await client.completions({ model: NAME, prompt: ids, temperature: 0, max_tokens: 8, logprobs: 5, return_tokens_as_token_ids: true });
    const lp = reply.choices[0]!.logprobs!;
    const llamaIds = lp.tokens.map((t) => Number(/^token_id:(\d+)$/.exec(t)?.[1] ?? NaN));
    const hf = await hfGreedy(line.hf_dir, ids, llamaIds.length);
    assert.deepEqual(hf.greedy_ids, llamaIds, 'the same greedy tokens');
    const llamaTop = Object.keys(lp.top_logprobs![0]!).map((k) => Number(/^token_id:(\d+)$/.exec(k)?.[1] ?? NaN));
    assert.deepEqual([...hf.top5].sort((a, b) => a - b), [...llamaTop].sort((a, b) => a - b), 'the same next-token top-5');
    // Q4_1 kernels vs dequantized float32: close, not equal.
    const hfTop1 = hf.top5_logprobs[0]!;
    const llamaTop1 = lp.top_logprobs![0]![`token_id:${hf.top5[0]}`]!;
    assert.ok(Math.abs(hfTop1 - llamaTop1) < 0.5, `top-1 logprob ${hfTop1} (HF) vs ${llamaTop1} (llama.cpp)`);
  });
});
