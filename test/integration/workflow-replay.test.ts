// Workflow determinism: the histories recorded from real runs of the baseline, EG-CFG, BTP and experiment workflows
// (test/fixtures/histories/, `npm run record-histories`) replay against the current workflow code, bundled as the
// workers bundle it. A change that makes a workflow issue different commands for the same history (a new activity,
// a reordered call, a changed timer) fails here: guard it with patched() (see the README's development notes).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../workers/worker.ts';
import { fixtureWorkflowType, historiesDir as dir, historyFromFixture } from '../support/histories.ts';

const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
/** Each of these workflow types has at least one recorded history. */
const required = ['baselineCampaign', 'baselineProblem', 'egcfgCampaign', 'egcfgProblem', 'egcfgAgent', 'egcfgGeneration', 'btpCycle', 'btpExperiment'];

describe('workflow replay (recorded histories against the current workflow code)', { timeout: 300_000 }, () => {
  test('every workflow type has a recorded history', () => {
    const types = new Set(files.map(fixtureWorkflowType));
    for (const t of required) assert.ok(types.has(t), `no history for ${t} in test/fixtures/histories (npm run record-histories)`);
  });

  test('every recorded history replays without a determinism violation', { timeout: 300_000 }, async () => {
    const histories = files.map((f) => ({ workflowId: f, history: historyFromFixture(join(dir, f)) }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      replayed++;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
    }
    assert.equal(replayed, files.length);
    assert.deepEqual(failures, []);
  });
});
