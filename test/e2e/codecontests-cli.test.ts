// CodeContests end to end through `egcfg evaluate` (Temporal, the embedded database, the stdin/stdout judge under
// nsjail) on the hand-made fixture: its correct Python solutions are accepted, its incorrect ones rejected.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoPath } from '../../core/repo.ts';
import { runEgcfg, type CliResult } from '../support/cli.ts';

interface Row { name: string; solutions: { language: number[]; solution: string[] }; incorrect_solutions?: { language: number[]; solution: string[] } }
const PYTHON3 = 3;

describe('egcfg evaluate --dataset codecontests', { timeout: 600_000 }, () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const fixture = repoPath('test', 'fixtures', 'codecontests', 'test.jsonl');
  const rows = readFileSync(fixture, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
  const egcfg = (args: string[]): Promise<CliResult> => runEgcfg(args, env);
  const lastJson = (r: CliResult) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { problems: number; passed: number; errors?: number };

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'egcfg-cc-'));
    env = { ...process.env, EGCFG_DATA_DIR: dataDir };
    delete env.TEMPORAL_ADDRESS;
    delete env.DATABASE_URL;
  }, { timeout: 60_000 });
  after(async () => { await egcfg(['down', '--data-dir', dataDir]); }, { timeout: 60_000 });

  const samplesOf = (pick: (r: Row) => string | undefined, file: string) => {
    const lines = rows.flatMap((r) => { const s = pick(r); return s === undefined ? [] : [JSON.stringify({ task_id: r.name, solution: s })]; });
    writeFileSync(join(dataDir, file), `${lines.join('\n')}\n`);
    return { path: join(dataDir, file), count: lines.length };
  };
  const python = (set: Row['solutions'] | undefined) => set?.solution.find((_, i) => set.language[i] === PYTHON3);

  test('correct Python solutions are all accepted', { timeout: 300_000 }, async () => {
    const s = samplesOf((r) => python(r.solutions), 'correct.jsonl');
    const r = await egcfg(['evaluate', '--dataset', 'codecontests', '--dataset-file', fixture, '--samples', s.path, '--output-dir', join(dataDir, 'ok')]);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    const line = lastJson(r);
    assert.equal(line.problems, rows.length);
    assert.equal(line.passed, s.count);
    const results = readFileSync(join(dataDir, 'ok', 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { task_id: string; passed: boolean });
    assert.equal(results.length, rows.length);
  });

  test('--dataset-file repeated reads every file (shards), with the same verdicts', { timeout: 300_000 }, async () => {
    const lines = readFileSync(fixture, 'utf8').trim().split('\n');
    const [a, b] = [join(dataDir, 'shard-a.jsonl'), join(dataDir, 'shard-b.jsonl')];
    writeFileSync(a, `${lines.slice(0, 2).join('\n')}\n`);
    writeFileSync(b, `${lines.slice(2).join('\n')}\n`);
    const s = samplesOf((r) => python(r.solutions), 'correct-shards.jsonl');
    const r = await egcfg(['evaluate', '--dataset', 'codecontests', '--dataset-file', a, '--dataset-file', b, '--samples', s.path, '--output-dir', join(dataDir, 'shards')]);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.equal(lastJson(r).problems, rows.length);
    assert.equal(lastJson(r).passed, s.count);
  });

  test('incorrect solutions are rejected', { timeout: 300_000 }, async () => {
    const s = samplesOf((r) => python(r.incorrect_solutions), 'wrong.jsonl');
    assert.ok(s.count > 0, 'the fixture has incorrect Python solutions');
    const r = await egcfg(['evaluate', '--dataset', 'codecontests', '--dataset-file', fixture, '--samples', s.path, '--output-dir', join(dataDir, 'bad')]);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.equal(lastJson(r).passed, 0);
  });
});
