import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { candidateComplete, cutCandidate } from '../../core/egcfg/candidates.ts';
import { parseSse, streamCompletion } from '../../activities/model/stream.ts';
import { freePort } from '../../core/ports.ts';

describe('candidate requests stop after d + 1 lines (issue 11 item 9)', { timeout: 60_000 }, () => {
  it('candidateComplete: d + 1 newlines, or a fence / EOS marker; never with d = inf', () => {
    assert.equal(candidateComplete('a\n    b\n', 2), false);
    assert.equal(candidateComplete('a\n    b\n    c\n', 2), true);
    assert.equal(candidateComplete('a\n', 0), true);
    assert.equal(candidateComplete('a', 0), false);
    assert.equal(candidateComplete('a\n```', 5), true);
    assert.equal(candidateComplete('x<|im_end|>', 5), true);
    assert.equal(candidateComplete('a\nb\nc\nd\n', null), false);
  });
  it('what is kept is the same as from the whole completion', () => {
    const whole = 'n):\n    return n ** 3\n\nprint(find_Volume(3))\nassert x\n';
    let text = '';
    for (const ch of whole) { text += ch; if (candidateComplete(text, 2)) break; }
    assert.equal(text, 'n):\n    return n ** 3\n\n');
    assert.equal(cutCandidate('def find_Volume(', text, 2), cutCandidate('def find_Volume(', whole, 2));
  });
  it('parseSse: complete data events and the unfinished rest', () => {
    const r = parseSse('data: {"a":1}\n\ndata: [DONE]\n\ndata: {"b"');
    assert.deepEqual(r, { data: ['{"a":1}', '[DONE]'], rest: 'data: {"b"' });
    assert.deepEqual(parseSse(': ping\r\n\r\n'), { data: [], rest: '' });
  });
  it('streamCompletion aborts the request once the predicate holds: the server sees the connection close', async () => {
    const seen = { closed: false };
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => {
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: 'x\n', finish_reason: null }] })}\n\n`);
      }, 5);
      req.on('close', () => { seen.closed = true; clearInterval(timer); });
    });
    const port = await freePort([43300, 43399]);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      const agent = new http.Agent();
      const out = await streamCompletion(new URL(`http://127.0.0.1:${port}/v1/completions`), { 'content-type': 'application/json' },
        { prompt: 'p' }, AbortSignal.timeout(10_000), agent, (t) => t.split('\n').length > 3);
      assert.equal(out.finishReason, 'client_cut');
      assert.equal(out.text, 'x\nx\nx\n');
      assert.equal(out.events, 3);
      const until = Date.now() + 5000;
      while (!seen.closed && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.ok(seen.closed, 'the request was aborted');
      agent.destroy();
    } finally {
      server.close();
    }
  });
});
