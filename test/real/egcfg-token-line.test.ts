// Line boundaries in token space on a real BPE tokenizer (issue 11 item 7): SmolLM2-135M-Instruct served by
// llama-server (started through ensureLocalServer in its own data folder, one thread). After `def find_Volume(n):`
// the γ = 1 line step keeps the reply's own tokens up to the one holding the newline — SmolLM2 merges "\n" with the
// next line's indentation ("\n   ") — so the continuation prompt is a prefix-consistent tokenization and the next
// greedy token is indented. The old cut (text at "\n", re-tokenized) ends the prompt on a bare "\n" token instead.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gamma1Step, startGeneration } from '../../core/egcfg/index.ts';
import { isTokenPrefix } from '../../core/egcfg/token-line.ts';
import { catalogueModel } from '../../core/models/catalogue.ts';
import { ensureLocalServer, stopLocalServers } from '../../core/models/local-server.ts';
import { gamma1LineStep } from '../../activities/egcfg/line-step.ts';
import { EgcfgModel } from '../../activities/egcfg/model.ts';
import { fixedIdsOf } from '../../activities/egcfg/prompt-ids.ts';

const SMALL = 'smollm2-135m-instruct';
const BASE = 'You are an expert Python programmer, and here is your task: Write a python function to find the volume of a cube. '
  + 'Your code should pass these tests:\n\nassert find_Volume(3) == 27\nassert find_Volume(2) == 8\n\n### Response:\n';

describe('γ = 1 line boundaries on a real tokenizer (SmolLM2 on llama.cpp)', { timeout: 5 * 60_000 }, () => {
  let dataDir = '';
  let url = '';
  before(async () => {
    dataDir = mkdtempSync(join(process.env.EGCFG_REAL_TMP ?? tmpdir(), 'h11a-token-line-'));
    process.env.EGCFG_LLAMA_THREADS ??= '1';
    url = (await ensureLocalServer(dataDir, catalogueModel(SMALL), { log: () => {} })).url;
  });
  after(async () => {
    if (dataDir !== '') await stopLocalServers(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('after `def find_Volume(n):` the continuation prompt ends on the model\'s own newline token and continues indented', { timeout: 120_000 }, async () => {
    const model = new EgcfgModel({ kind: 'openai', baseUrl: url, model: SMALL, simulated: false, dialect: 'llamacpp' });
    const forced = 'def find_Volume(n):';
    const s = startGeneration('```python\n', forced);
    const fixedIds = fixedIdsOf(model, BASE, s);
    const ids = await model.tokenize(forced, false);
    const spec = { entryPoint: 'find_Volume', gamma: 1, k: 1, maxNewTokens: 512 };
    const line = await gamma1LineStep({ model, timed: (p) => p, fixedIds, ids, overflow: null }, spec, s, { guided: false, newlineOnly: false });
    assert.equal(line.row.retokenized, undefined, 'the reply\'s tokens spell its text');
    assert.match(line.added, /^\n/, `the line ends the def line: ${JSON.stringify(line.added)}`);
    const lastText = await model.tokenText(line.appendedIds.at(-1)!);
    assert.match(lastText, /\n[ \t]+$/, `the kept newline token carries the indentation: ${JSON.stringify(lastText)}`);

    // The next greedy token on the continuation prompt: indented (or `return`), not a new `def` / fence.
    const prompt = [...await fixedIds('uncond'), ...ids, ...line.appendedIds];
    const next = await model.completions({ prompt, max_tokens: 1, temperature: 0 });
    const nextText = next.choices[0]?.text ?? '';
    assert.ok(/^[ \t]/.test(nextText) || /return/.test(nextText), `next greedy token ${JSON.stringify(nextText)}`);
    assert.doesNotMatch(nextText, /def|```/);

    // Prefix-consistent: the tokenizer's own ids of the text plus its continuation begin with the prompt's ids.
    const canonical = await model.tokenize(forced + line.added + nextText, false);
    assert.ok(isTokenPrefix([...ids, ...line.appendedIds], canonical), `${JSON.stringify([...ids, ...line.appendedIds])} vs ${JSON.stringify(canonical)}`);
    // The old cut at "\n", re-tokenized, ends on a bare "\n" token that is not.
    const completion = await model.completions({ prompt: [...await fixedIds('uncond'), ...ids], max_tokens: 16, temperature: 0 });
    const oldIds = await model.tokenize(forced + gamma1Step(completion.choices[0]?.text ?? '').append, false);
    assert.equal(await model.tokenText(oldIds.at(-1)!), '\n');
    assert.equal(isTokenPrefix(oldIds, canonical), false);
  });
});
