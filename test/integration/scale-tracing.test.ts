// Tracing (workers/otel.ts, what EGCFG_OTEL=1 turns on): a campaign started through a traced client gives one trace
// that holds the client's start, the campaign and problem workflow runs and every activity execution.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startSimulatedModelServer } from '../../activities/model/simulated-server.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { startCampaign, waitForCampaign } from '../../campaigns/service.ts';
import { knowledgeFor } from '../../cli/simulated.ts';
import { loadDataset } from '../../core/datasets/index.ts';
import { otelClientInterceptors, otelEnabled, setupTracing } from '../../workers/otel.ts';
import { integrationServices } from '../support/integration.ts';

describe('tracing with OpenTelemetry', { timeout: 600_000 }, () => {
  const exporter = new InMemorySpanExporter();
  const svc = integrationServices({
    workers: false,
    setup: async () => {
      const tracing = setupTracing({ serviceName: 'egcfg-test', processor: new SimpleSpanProcessor(exporter) });
      await svc.startWorkers({ tracing, queues: ['default', 'inference', 'sandbox'] });
    },
  });

  test('the flag', () => {
    assert.equal(otelEnabled({}), false);
    assert.equal(otelEnabled({ EGCFG_OTEL: '1' }), true);
    assert.equal(otelEnabled({ EGCFG_OTEL: '0' }), false);
  });

  test('one trace from the client\'s start through workflows and activities', async () => {
    const problems = (await loadDataset('mbpp', { split: 'test' })).slice(0, 2);
    const sim = await startSimulatedModelServer({ knowledge: knowledgeFor(problems), modelName: 'sim' });
    try {
      const client = new Client({ connection: svc.env.client.connection, interceptors: otelClientInterceptors() });
      const ctx = { db: svc.db.db, client };
      const created = await startCampaign(ctx, parseRunOptions({ dataset: 'mbpp', modelName: 'sim', maxProblems: 2 }),
        { kind: 'openai', baseUrl: sim.url, model: 'sim', simulated: true });
      const summary = await waitForCampaign(ctx, created.campaignId);
      assert.equal(summary.problems, 2);
    } finally {
      await sim.close();
    }
    const spans = exporter.getFinishedSpans();
    const names = spans.map((s) => s.name);
    const count = (n: string) => names.filter((x) => x === n).length;
    assert.equal(count('StartWorkflow:baselineCampaign'), 1, names.join(', '));
    assert.ok(count('RunWorkflow:baselineCampaign') >= 1, names.join(', '));
    assert.ok(count('RunWorkflow:baselineProblem') >= 2, names.join(', '));
    assert.equal(count('RunActivity:generateBaselineSample'), 2, names.join(', '));
    assert.equal(count('RunActivity:executeSample'), 2, names.join(', '));
    const start = spans.find((s) => s.name === 'StartWorkflow:baselineCampaign')!;
    const traceId = start.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId).map((s) => s.name);
    for (const n of ['RunWorkflow:baselineCampaign', 'RunWorkflow:baselineProblem', 'RunActivity:generateBaselineSample', 'RunActivity:executeSample', 'RunActivity:recordResult']) {
      assert.ok(inTrace.includes(n), `${n} is in the campaign's trace (${inTrace.join(', ')})`);
    }
  });
});
