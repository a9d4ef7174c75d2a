// EG-CFG in the model's chat template (core/egcfg/chat-prompt.ts, activities/egcfg/chat-render.ts, prompt-ids.ts,
// campaigns/egcfg-chat.ts) on hand-made inputs: the user turn cut from the raw prompt, the signal only on the
// conditional side at the end of the user turn, both sides' fixed texts, one rendering per problem, and the flags
// that have no meaning with chat format.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { chatFrameOf, chatInstruction, chatUserContent, conditionalBase, SIGNAL_SLOT } from '../../core/egcfg/chat-prompt.ts';
import { startGeneration } from '../../core/egcfg/index.ts';
import { buildPrompt } from '../../core/prompts/index.ts';
import { promptTemplate } from '../../core/prompts/index.ts';
import { loadDatasetSync } from '../../core/datasets/load.ts';
import { fixedText } from '../../activities/egcfg/prompt-ids.ts';
import { renderStats, withChatTemplate } from '../../activities/egcfg/chat-render.ts';
import { generationPrompts } from '../../activities/egcfg/prompts.ts';
import { EgcfgModel } from '../../activities/egcfg/model.ts';
import { egcfgPromptFormat } from '../../campaigns/egcfg-chat.ts';
import { OptionsError } from '../../campaigns/options.ts';
import type { EgcfgParams } from '../../core/contracts.ts';

/** A ChatML template as SmolLM2's and Qwen's: system turn, user turn, the assistant turn opened. */
const chatml = (content: string): string =>
  `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n${content}<|im_end|>\n<|im_start|>assistant\n`;
const PREFIX = 'Below is a Python script:\n```python\n';
const SIGNAL = '### Runtime Behavior for Candidate Continuations\nBelow are execution traces.\n\n# Function:\ndef f(x):\n    y = x\n# Invocation:\nf(1)\n# Execution Trace:\ny = 1\n';

const mbpp = loadDatasetSync('mbpp', { split: 'test' });
const problem = mbpp.find((p) => p.taskId === '11')!;

describe('EG-CFG chat prompts', { timeout: 30_000 }, () => {
  it('the user turn is the EG-CFG instruction without DeepSeek-Coder\'s system line and markers', () => {
    for (const type of ['long_code', 'deepseek_instruct'] as const) {
      const raw = buildPrompt(problem, type);
      const instruction = chatInstruction(raw);
      assert.doesNotMatch(instruction, /### Instruction:|### Response:|Deepseek Coder model/);
      assert.ok(instruction.includes(problem.visibleTests[0]!), `${type}: the tests are in the user turn`);
      assert.ok(raw.includes(instruction), `${type}: cut verbatim from the raw prompt`);
    }
    assert.match(chatInstruction(buildPrompt(problem, 'long_code')), /incremental execution and debugging/);
    assert.throws(() => chatInstruction('no markers here'), /### Instruction:/);
  });

  it('the signal goes in the conditional side only, at the end of the user turn, and the sides agree without one', () => {
    const instruction = chatInstruction(buildPrompt(problem, 'long_code'));
    const uncond = chatml(chatUserContent(instruction));
    const frame = chatFrameOf(chatml(chatUserContent(instruction, SIGNAL_SLOT)), PREFIX);
    const cond = conditionalBase(uncond, SIGNAL, frame);
    // The same text the template renders for a user turn holding the problem and then the signal.
    assert.equal(cond, chatml(`${instruction}\n\n${SIGNAL.replace(/\n+$/, '')}`));
    const userTurn = cond.slice(cond.indexOf('<|im_start|>user\n'), cond.indexOf('<|im_end|>\n<|im_start|>assistant'));
    assert.ok(userTurn.indexOf(instruction) < userTurn.indexOf(SIGNAL.split('\n')[0]!), 'after the problem');
    assert.ok(!uncond.includes('Runtime Behavior'));
    assert.equal(conditionalBase(uncond, '', frame), uncond, 'an empty signal: both sides equal');
    // Raw prompts keep the signal before their last `### Response:`.
    const raw = buildPrompt(problem, 'long_code');
    assert.match(conditionalBase(raw, SIGNAL), /Execution Trace:\ny = 1\n\n### Response:\n$/);
  });

  it("both sides' fixed texts: the rendered side, then the assistant's opening, reasoning prefix and forced def", () => {
    const instruction = chatInstruction(buildPrompt(problem, 'long_code'));
    const frame = { basePrompt: chatml(chatUserContent(instruction)), chat: chatFrameOf(chatml(chatUserContent(instruction, SIGNAL_SLOT)), PREFIX) };
    const s = { ...startGeneration(`${PREFIX}import re\n`, 'def remove_Occ('), signal: SIGNAL };
    const u = fixedText(frame, s, 'uncond');
    const c = fixedText(frame, s, 'cond');
    for (const t of [u, c]) {
      assert.match(t, /^<\|im_start\|>system\n[\s\S]*<\|im_start\|>user\n[\s\S]*<\|im_end\|>\n<\|im_start\|>assistant\nBelow is a Python script:\n```python\nimport re\n$/);
    }
    assert.ok(!u.includes('Runtime Behavior') && c.includes('Runtime Behavior'));
    assert.equal(c.indexOf('<|im_start|>assistant'), c.lastIndexOf('<|im_start|>assistant'), 'the signal is not in the assistant turn');
    assert.ok(c.indexOf('Runtime Behavior') < c.indexOf('<|im_end|>\n<|im_start|>assistant'));
    assert.equal(fixedText(frame, { ...s, signal: '' }, 'cond'), u);
  });

  it('a template that does not keep the user turn verbatim is refused', () => {
    assert.throws(() => chatFrameOf('<|im_start|>user\nsomething else<|im_end|>\n', PREFIX), /--prompt-format raw/);
    assert.throws(() => chatFrameOf(`${SIGNAL_SLOT} and again ${SIGNAL_SLOT}`, PREFIX), /2 times/);
  });

  it('one rendering per problem on the server (llama.cpp /apply-template), whatever the agents and γ asking', async () => {
    const bodies: unknown[] = [];
    const readBody = async (req: IncomingMessage) => { let b = ''; for await (const c of req) b += String(c); return b === '' ? null : JSON.parse(b) as unknown; };
    const srv = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        res.setHeader('content-type', 'application/json');
        if (req.url === '/props') return res.end(JSON.stringify({ build_info: 'test', default_generation_settings: {} }));
        if (req.url === '/apply-template') {
          bodies.push(body);
          const messages = (body as { messages: Array<{ content: string }> }).messages;
          return res.end(JSON.stringify({ prompt: chatml(messages[0]!.content) }));
        }
        res.statusCode = 404;
        res.end('{}');
      })();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const params = { promptFormat: 'chat', fenceInstruction: 'auto', forcedName: 'reference', traceFormat: 'authors' } as EgcfgParams;
      const model = new EgcfgModel({ kind: 'openai', baseUrl: url, model: 'm', simulated: false, dialect: 'llamacpp' });
      const before = renderStats.renderings;
      const raw = generationPrompts(problem, 'long_code', params, 'm');
      const runs = await Promise.all([0, 1, 2].map(() => withChatTemplate(raw, problem, model, url)));
      assert.equal(renderStats.renderings - before, 1, 'one rendering for three generations of the problem');
      assert.equal(bodies.length, 2, 'the two sides, once');
      for (const r of runs) {
        assert.equal(r.basePrompt, chatml(chatInstruction(raw.basePrompt)));
        assert.equal(r.chat!.responsePrefix, promptTemplate('chat_response_prefix'));
        assert.ok(r.chat!.condHead.endsWith('\n\n') && r.chat!.condTail.startsWith('<|im_end|>'));
      }
      // Another prompt type is another instruction: rendered once more.
      await withChatTemplate(generationPrompts(problem, 'deepseek_instruct', params, 'm'), problem, model, url);
      assert.equal(renderStats.renderings - before, 2);
    } finally { srv.close(); }
  });

  it('chat format has no fence instruction; --fence-instruction on and --cond-prompt authors-quirk are refused naming both flags', () => {
    const v3 = generationPrompts(problem, 'long_code', { promptFormat: 'chat', fenceInstruction: 'auto' } as EgcfgParams, 'deepseek-v3');
    assert.equal(v3.fence, null);
    assert.equal(egcfgPromptFormat({ promptFormat: 'chat', fenceInstruction: 'auto', condPrompt: 'clean' }), 'chat');
    assert.equal(egcfgPromptFormat({ promptFormat: undefined, fenceInstruction: 'on', condPrompt: 'authors-quirk' }), 'raw');
    const refused = (o: Parameters<typeof egcfgPromptFormat>[0], flag: RegExp) => assert.throws(() => egcfgPromptFormat(o),
      (e: unknown) => e instanceof OptionsError && flag.test(e.message) && /--prompt-format chat/.test(e.message));
    refused({ promptFormat: 'chat', fenceInstruction: 'on', condPrompt: 'clean' }, /--fence-instruction on/);
    refused({ promptFormat: 'chat', fenceInstruction: 'off', condPrompt: 'authors-quirk' }, /--cond-prompt authors-quirk/);
  });
});
