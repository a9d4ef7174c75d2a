// `egcfg run --method eg-cfg` and `egcfg show` end to end in zero-config local mode (own Temporal dev server and PGlite
// database in a temporary data folder, the SIMULATED model server): the summary line has both protocols and the cost,
// and `show` prints the problem's generations step by step.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoPath } from '../../core/repo.ts';
import { freePort, runEgcfg, type CliResult } from '../support/cli.ts';
import { stopLocalTemporal } from '../../cli/temporal-local.ts';

describe('egcfg CLI: EG-CFG (local mode, simulated model)', { timeout: 900_000 }, () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  const egcfg = (args: string[]): Promise<CliResult> => runEgcfg(args, env);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'egcfg-e2e-egcfg-'));
    env = { ...process.env, EGCFG_DATA_DIR: dataDir, EGCFG_TEMPORAL_PORT: String(await freePort()) };
    delete env.TEMPORAL_ADDRESS;
    delete env.DATABASE_URL;
  }, { timeout: 300_000 });
  after(() => { stopLocalTemporal(dataDir); }, { timeout: 120_000 });

  test('run --method eg-cfg, then show a problem step by step', async () => {
    const out = join(dataDir, 'out');
    const r = await egcfg([
      'run', '--dataset', 'mbpp', '--method', 'eg-cfg', '--model-name', 'simulated-deepseek', '--max-problems', '1',
      '--grid', repoPath('data', 'egcfg', 'quick_grid.json'), '--gamma', '0,3', '--max-agents', '2',
      '--top-logprobs', '5', '--max-new-tokens', '256', '--sim-skill', '0', '--output-dir', out, '--quiet',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      method: string; simulated: boolean; problems: number; protocols: Array<{ protocol: string; passed: number }>;
      cost: { generations: number; perSolvedProblem: { modelCalls: number } | null };
    };
    assert.equal(line.method, 'eg-cfg');
    assert.equal(line.simulated, true);
    assert.equal(line.problems, 1);
    assert.deepEqual(line.protocols.map((p) => p.protocol), ['paper', 'strict']);
    assert.ok(line.cost.generations >= 2);
    assert.match(r.stderr, /SIMULATED/);
    assert.match(r.stderr, /protocol {2}passed\/problems/);
    assert.equal(readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').length, 1);
    const campaignId = (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { campaign_id: string }).campaign_id;

    const shown = await egcfg(['show', campaignId, '11']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /task 11 \(entry point remove_Occ\)/);
    assert.match(shown.stdout, /NOTE: simulated model/);
    assert.match(shown.stdout, /paper +(PASSED|failed)/);
    assert.match(shown.stdout, /== ns3t0\.7d2k1_ln γ=0 try 0/);
    assert.match(shown.stdout, /\[0\] reasoning/);
    assert.match(shown.stdout, /sample +line 0: uncond request 0/);
    assert.match(shown.stdout, /signal +line 0: signal of \d+ entries/);
    assert.match(shown.stdout, /### Runtime Behavior for Candidate Continuations/);
    assert.match(shown.stdout, /line +line \d+: \+".*" \(\d+ tokens, \d+ guided, \d+ changed by guidance/);

    const json = await egcfg(['show', campaignId, '11', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const data = JSON.parse(json.stdout) as { generations: Array<{ steps: unknown[] }> };
    assert.ok(data.generations.length >= 2 && data.generations.every((g) => g.steps.length >= 1));

    const bad = await egcfg(['run', '--dataset', 'mbpp', '--method', 'eg-cfg', '--model-name', 'x', '--gamma', '0,abc']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--gamma/);
    const unknown = await egcfg(['show', campaignId, 'no-such-task']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no task 'no-such-task'/);
  });
});
