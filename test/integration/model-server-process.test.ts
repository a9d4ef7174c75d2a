// The simulated model server run as its own process (activities/model/simulated-server-main.ts), over real HTTP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { ModelClient } from '../../activities/model/openai-client.ts';

const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'activities', 'model', 'simulated-server-main.ts');

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

test('runs from a knowledge file, prints its URL, answers, and stops on SIGTERM', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simsrv-'));
  const file = join(dir, 'knowledge.json');
  writeFileSync(file, JSON.stringify([{ id: 'add', keys: ['assert add(1, 2) == 3'], solution: 'def add(a, b):\n    return a + b', broken: ['def add(a, b):\n    return b'] }]));
  const p = run(['--port', '0', '--knowledge-file', file, '--skill', '1', '--model', 'sim-coder']);
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: p.child.stdout }).once('line', resolve);
    void p.exited.then((code) => reject(new Error(`exited ${code}: ${p.stderr()}`)));
  });
  const info = JSON.parse(first) as { url: string; model: string; problems: number; simulated: boolean };
  assert.deepEqual({ ...info, url: undefined }, { url: undefined, model: 'sim-coder', problems: 1, simulated: true });
  const client = new ModelClient({ baseUrl: info.url, maxRetries: 0 });
  assert.equal(await client.health(), true);
  const r = await client.completions({ model: 'sim-coder', prompt: '### Instruction:\nassert add(1, 2) == 3\n### Response:\n', temperature: 0, max_tokens: 100 });
  assert.equal(r.choices[0]!.text, '```python\ndef add(a, b):\n    return a + b\n```');
  client.close();
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});

test('a bad knowledge file is refused with its path and the problem', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simsrv-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify([{ keys: [], solution: 'x' }]));
  const p = run(['--knowledge-file', file]);
  assert.equal(await p.exited, 2);
  assert.match(p.stderr(), new RegExp(`knowledge file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is invalid: \\[0\\.keys\\] keys must hold at least one string`));
});
