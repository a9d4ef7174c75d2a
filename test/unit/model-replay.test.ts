// The replay model's loader: evalplus JSONL, errors that name the file and line.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ReplayFileError, loadReplaySamples, parseReplaySamples, replayProgram, samplesPerTask } from '../../activities/model/replay.ts';

const dir = mkdtempSync(join(tmpdir(), 'replay-'));
function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('reads solutions and completions, keeping them apart', { timeout: 60_000 }, async () => {
  const p = file('ok.jsonl', [
    JSON.stringify({ task_id: 'HumanEval/0', completion: '    return 1\n' }),
    '',
    JSON.stringify({ task_id: 'Mbpp/2', solution: 'def f():\n    return 2\n', extra: 1 }),
    JSON.stringify({ task_id: 11, solution: 'def g(): pass', completion: 'ignored' }),
  ].join('\r\n') + '\n');
  const m = await loadReplaySamples(p);
  assert.deepEqual([...m.keys()], ['HumanEval/0', 'Mbpp/2', '11']);
  assert.deepEqual(m.get('HumanEval/0'), [{ taskId: 'HumanEval/0', kind: 'completion', text: '    return 1\n', line: 1 }]);
  assert.equal(m.get('Mbpp/2')![0]!.kind, 'solution');
  assert.equal(m.get('11')![0]!.text, 'def g(): pass');
  assert.equal(m.get('11')![0]!.line, 4);
  assert.equal(replayProgram(m.get('HumanEval/0')![0]!, 'def f():\n'), 'def f():\n    return 1\n');
  assert.equal(replayProgram(m.get('Mbpp/2')![0]!), 'def f():\n    return 2\n');
  assert.throws(() => replayProgram(m.get('HumanEval/0')![0]!), /is a completion: the task's prompt is needed/);
});

test('reads gzip by its magic bytes', { timeout: 60_000 }, async () => {
  const p = file('ok.jsonl.gz', gzipSync(JSON.stringify({ task_id: 'HumanEval/1', solution: 'x = 1' }) + '\n'));
  assert.equal((await loadReplaySamples(p)).get('HumanEval/1')![0]!.text, 'x = 1');
});

async function rejectsWith(text: string, re: RegExp) {
  const p = file(`bad-${Math.random().toString(36).slice(2)}.jsonl`, text);
  await assert.rejects(loadReplaySamples(p), (e: unknown) => {
    assert.ok(e instanceof ReplayFileError, String(e));
    assert.ok(e.message.startsWith(`${p}:`), e.message);
    assert.match(e.message, re);
    return true;
  });
}

test('malformed lines are errors naming file and line', { timeout: 60_000 }, async () => {
  const good = JSON.stringify({ task_id: 'A', solution: 's' });
  await rejectsWith(`${good}\n{"task_id": "B", "solution": `, /:2: not valid JSON \(/);
  await rejectsWith(`${good}\n\n[1, 2]`, /:3: expected a JSON object, got an array/);
  await rejectsWith(`{"solution": "x"}`, /:1: missing field "task_id"/);
  await rejectsWith(`{"task_id": "A"}`, /:1: task A has neither "solution" nor "completion"/);
  await rejectsWith(`{"task_id": "A", "solution": 3}`, /:1: solution: solution must be a string/);
  await rejectsWith(`{"task_id": 1.5, "solution": "x"}`, /:1: task_id: task_id must be a non-empty string or an integer/);
});

test('several samples per task are kept in file order; different counts per task are an error naming both', { timeout: 60_000 }, async () => {
  const line = (task: string, s: string) => JSON.stringify({ task_id: task, solution: s });
  const p = file('multi.jsonl', [line('A', 'a0'), line('B', 'b0'), line('A', 'a1'), line('B', 'b1')].join('\n'));
  const m = await loadReplaySamples(p);
  assert.deepEqual(m.get('A')!.map((x) => x.text), ['a0', 'a1']);
  assert.equal(samplesPerTask(m, p), 2);
  const q = file('uneven.jsonl', [line('A', 'a0'), line('A', 'a1'), line('B', 'b0')].join('\n'));
  assert.throws(() => samplesPerTask(parseReplaySamples(readFileSync(q, 'utf8'), q), q), (e: unknown) => {
    assert.ok(e instanceof ReplayFileError);
    assert.match(e.message, /:3: task "B" has 1 samples and task "A" 2: pass@k needs the same number/);
    return true;
  });
});

test('a missing file says so', { timeout: 60_000 }, async () => {
  await assert.rejects(loadReplaySamples(join(dir, 'nope.jsonl')), /nope\.jsonl: cannot read replay samples: ENOENT/);
});
