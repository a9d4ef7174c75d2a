// Ctrl-C during `egcfg run` cancels the campaign and exits 130 (it does not keep printing progress, and its workflow
// is not left for the next CLI's worker to pick up).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { repoPath } from '../../core/repo.ts';
import { runEgcfg } from '../support/cli.ts';

describe('egcfg run interrupted', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'egcfg-sigint-'));
  const env: NodeJS.ProcessEnv = { ...process.env, EGCFG_DATA_DIR: dataDir };
  delete env.TEMPORAL_ADDRESS;
  delete env.DATABASE_URL;
  after(async () => { await runEgcfg(['down', '--data-dir', dataDir], env); }, { timeout: 60_000 });

  test('SIGINT cancels the campaign and exits 130', { timeout: 240_000 }, async () => {
    const child = spawn(process.execPath, [repoPath('cli', 'bin', 'egcfg.js'), 'run', '--dataset', 'mbpp', '--model-name', 'simulated-deepseek',
      '--max-problems', '500', '--concurrency', '2', '--output-dir', join(dataDir, 'out')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += String(d); });
    const started = new Promise<void>((resolve) => {
      child.stderr.on('data', (d) => { stderr += String(d); if (/Campaign \S+: 500 mbpp problems/.test(stderr)) resolve(); });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await Promise.race([started, exited]);
    child.kill('SIGINT');
    // A CLI that does not act on the signal must fail this test with its output, not time it out silently.
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await exited.finally(() => clearTimeout(timer));
    assert.equal(code, 130, stderr.slice(-2000));
    assert.match(stderr, /SIGINT: cancelling campaign/);
    assert.match(stderr, /cancelled; what it recorded stays/);
    assert.equal(stdout.trim(), '', 'no summary line for a cancelled run');
  });
});
