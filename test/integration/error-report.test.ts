// Problems that ended in 'error' are not failures (issue 13): the campaign's error report counts them and names the
// first with its message; the summary table and summary.md show failed and errors apart; the run exits 1 saying so.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { campaignErrors, upsertProblems } from '../../campaigns/service.ts';
import { reportErrors, summaryMarkdown, summaryTable, type SummaryLine } from '../../cli/output.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { openDatabase } from '../../db/client.ts';
import { campaigns, results } from '../../db/schema/index.ts';

const line = (errors: number): SummaryLine => ({
  campaign_id: 'c1', dataset: 'mbpp', method: 'baseline', model: 'm', simulated: true, problems: 5, passed: 2, errors,
  pass_at_1: 0.4, output_dir: '/tmp/x', database: '/tmp/db',
});

describe("'error' apart from 'failed'", { timeout: 60_000 }, () => {
  test('campaignErrors counts errored problems and names the first in dataset order', async () => {
    const h = await openDatabase('memory://');
    try {
      const probs = (await loadDataset('mbpp')).slice(0, 4);
      const ids = await upsertProblems(h.db, probs);
      await h.db.insert(campaigns).values({ id: 'c1', method: 'baseline', dataset: 'mbpp', model: 'm', simulated: true, config: {}, workflowId: 'w' });
      const statuses = ['passed', 'error', 'failed', 'error'] as const;
      await h.db.insert(results).values(ids.map((problemId, i) => ({
        campaignId: 'c1', problemId, protocol: 'default', passed: statuses[i] === 'passed', status: statuses[i]!,
        detail: statuses[i] === 'error' ? { message: `boom ${i}\nsecond line` } : {},
      })));
      assert.deepEqual(await campaignErrors(h.db, 'c1'), { count: 2, first: { taskId: probs[1]!.taskId, message: 'boom 1\nsecond line' } });
      assert.deepEqual(await campaignErrors(h.db, 'nope'), { count: 0 });
    } finally {
      await h.close();
    }
  });

  test('tables show failed and errors apart; the report says how many, why, and the first message; exit 1', () => {
    const table = summaryTable(line(1)).split('\n');
    assert.match(table[0]!, /problems\s+passed\s+failed\s+errors\s+pass@1 %/);
    assert.match(table[2]!, /5\s+2\s+2\s+1 !\s+40\.00/);
    const md = summaryMarkdown(line(1));
    assert.match(md, /\| problems \| passed \| failed \| errors \| pass@1 \(%\) \|/);
    assert.match(md, /\| 5 \| 2 \| 2 \| 1 \| 40\.00 ⚠ \|/);
    assert.match(md, /1 of 5 problems ended in 'error' \(not scored\)/);
    assert.doesNotMatch(summaryMarkdown(line(0)), /⚠|ended in 'error'/);

    const said: string[] = [];
    assert.equal(reportErrors(line(1), { count: 1, first: { taskId: '12', message: 'worker lost\nmore' } }, (l) => said.push(l)), 1);
    assert.match(said.join('\n'), /ERROR: 1 of 5 problems ended in 'error' \(not scored\)/);
    assert.match(said.join('\n'), /first: 12: worker lost$/m);
    assert.match(said.join('\n'), /egcfg show c1 12/);
    assert.equal(reportErrors(line(0), { count: 0 }, (l) => said.push(l)), 0);
  });
});
