// The pure EG-CFG modules run unchanged inside Temporal's deterministic workflow sandbox: a scripted decode
// (test/fixtures/egcfg-scenario.ts) gives the same result in a real workflow as when called directly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { repoPath } from '../../core/repo.ts';
import { runScenario } from '../fixtures/egcfg-scenario.ts';
import { egcfgScenarioWorkflow } from '../fixtures/egcfg-workflow.ts';
import { startTestTemporal } from '../support/services.ts';

describe('core/egcfg inside a Temporal workflow', { timeout: 300_000 }, () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await startTestTemporal();
  }, { timeout: 300_000 });
  after(async () => {
    await env?.teardown();
  }, { timeout: 120_000 });

  it('runs the scripted EG-CFG scenario with the same result as in Node', async () => {
    const taskQueue = `egcfg-pure-${process.pid}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: repoPath('test/fixtures/egcfg-workflow.ts'),
    });
    const result = await worker.runUntil(
      env.client.workflow.execute(egcfgScenarioWorkflow, { taskQueue, workflowId: `egcfg-pure-${process.pid}` }),
    );
    const direct = runScenario();
    assert.deepEqual(result, direct);
    // and the scenario itself exercised the pieces
    assert.equal(direct.stop, 'closing_fence');
    assert.equal(direct.code, 'def add(a, b):\n    total = a + b\n    return total');
    assert.equal(direct.refreshes, 4);
    assert.deepEqual(direct.choices.map((c) => c.tokenId), [10, 10, 10, 20]);
  });
});
